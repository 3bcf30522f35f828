// One write transaction: every change shares main revision (current + 1), sub
// counts them, and later operations of the same transaction see earlier ones.
import { Event_EventType, KeyValue, type Event } from '../generated/mvccpb/kv.js';
import { assert } from '../util/assert.js';
import { toIndexRange } from './key-index.js';
import { encodeKeyValue } from './key-value-bytes.js';
import { keyVersionsAt, type KeyVersion } from './key-versions.js';
import type { KeyHistory, KeyAt } from './key-history.js';
import type { RangeOptions, RangeResult, WriteResult, WriteTxn } from './kv-view.js';
import { rangeAt, readKv, type StoreState } from './range-reader.js';
import { revisionBytes } from './revision.js';

/** What a write transaction needs from its store. */
export interface WritableStore extends StoreState {
  readonly currentRevision: number;
  /** Whether events must carry each changed key's previous value (read from the backend). */
  prevKvWanted(): boolean;
  /** Publishes the transaction's outcome and releases the write slot. */
  finishWrite(revision: number): void;
}

export class StoreWriteTxn implements WriteTxn {
  private readonly beginRevision: number;
  private readonly changes: Event[] = [];
  private ended = false;
  /** Decided once, so every event of a transaction is alike. */
  private readonly withPrevKv: boolean;

  constructor(private readonly store: WritableStore) {
    this.beginRevision = store.currentRevision;
    this.withPrevKv = store.prevKvWanted();
  }

  get revision(): number {
    return this.changes.length > 0 ? this.beginRevision + 1 : this.beginRevision;
  }

  get compactRevision(): number {
    return this.store.compactRevision;
  }

  range(key: Buffer, rangeEnd: Buffer, options: RangeOptions): RangeResult {
    assert(!this.ended, 'range on an ended write txn');
    return rangeAt(this.store, this.revision, key, rangeEnd, options);
  }

  keyVersions(key: Buffer, rangeEnd: Buffer): KeyVersion[] {
    assert(!this.ended, 'keyVersions on an ended write txn');
    return keyVersionsAt(this.store.index, key, rangeEnd, this.revision);
  }

  put(key: Buffer, value: Buffer, lease: bigint): void {
    assert(!this.ended, 'put on an ended write txn');
    const main = this.beginRevision + 1;
    const sub = this.changes.length;
    const k = key.toString('latin1');
    const h = this.store.index.historyFor(k);
    const prev = h.get(main);
    const kv: KeyValue = {
      key,
      createRevision: BigInt(prev === undefined ? main : prev.created),
      modRevision: BigInt(main),
      version: BigInt(prev === undefined ? 1 : prev.version + 1),
      value,
      lease,
    };
    this.store.backend.put('key', revisionBytes(main, sub), encodeKeyValue(kv));
    const prevKv = prev === undefined || !this.withPrevKv ? undefined : readKv(this.store.backend, prev.modified);
    h.put(main, sub);
    this.changes.push({ type: Event_EventType.PUT, kv, prevKv });
  }

  deleteRange(key: Buffer, rangeEnd: Buffer): number {
    assert(!this.ended, 'deleteRange on an ended write txn');
    const live: Array<[string, KeyHistory, KeyAt]> = [];
    this.store.index.forEachLive(toIndexRange(key, rangeEnd), this.revision, (k, h, at) => {
      live.push([k, h, at]);
    });
    const main = this.beginRevision + 1;
    for (const [k, h, at] of live) {
      const sub = this.changes.length;
      // etcd's tombstone record carries only the key and the deleting revision.
      const kv = KeyValue.fromPartial({ key: Buffer.from(k, 'latin1'), modRevision: BigInt(main) });
      this.store.backend.put('key', revisionBytes(main, sub, true), encodeKeyValue(kv));
      const prevKv = this.withPrevKv ? readKv(this.store.backend, at.modified) : undefined;
      h.tombstone(main, sub);
      this.changes.push({ type: Event_EventType.DELETE, kv, prevKv });
    }
    return live.length;
  }

  end(): WriteResult {
    assert(!this.ended, 'write txn ended twice');
    this.ended = true;
    const revision = this.revision;
    this.store.finishWrite(revision);
    return { revision, events: this.changes };
  }
}
