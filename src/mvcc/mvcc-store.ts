// The multi-version key-value store: an in-memory key index over revisioned
// records in the backend's `key` bucket, with compaction, hashing, watch
// history and the applied raft index kept atomically with the state.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Backend } from '../backend/backend.js';
import { EtcdError } from '../errors/etcd-error.js';
import { assert } from '../util/assert.js';
import { readHistory, type HistoryBatch } from './history-reader.js';
import { hashKeyBucket } from './hash-kv.js';
import { KeyIndex, toIndexRange } from './key-index.js';
import type { HashKVResult, RangeOptions, RangeResult, ReadView, WriteTxn } from './kv-view.js';
import { COMPACTION_BATCH_REVISIONS_DEFAULT, removeCompactedHistory } from './physical-compaction.js';
import { rangeAt, readKv } from './range-reader.js';
import { RecordCache } from './record-cache.js';
import { ReplacementGate } from './replacement-gate.js';
import { restoreIndex } from './restore-index.js';
import {
  hasCompactMark,
  readConsistentIndex,
  readFinishedCompact,
  readScheduledCompact,
  writeConsistentIndex,
  writeScheduledCompact,
} from './store-meta.js';
import { StoreWriteTxn, type WritableStore } from './write-txn.js';
import { keyVersionsAt, type KeyVersion } from './key-versions.js';

export interface MvccStoreOptions {
  /** Revisions examined per physical compaction batch (etcd's default 1,000). */
  readonly compactionBatchLimit?: number;
}

/** The compact revision before the first compaction: revision 0 is still above it. */
const NEVER_COMPACTED_FLOOR = -1;
/** Keys compacted in the index per event-loop turn. */
const INDEX_COMPACTION_CHUNK_KEYS = 10_000;

/** A store with no writes is at revision 1, as etcd: the first write is revision 2. */
const EMPTY_STORE_REVISION = 1;

class StoreReadView implements ReadView {
  constructor(
    private readonly store: MvccStore,
    readonly revision: number,
  ) {}

  get compactRevision(): number {
    return this.store.compactRevision;
  }

  range(key: Buffer, rangeEnd: Buffer, options: RangeOptions): RangeResult {
    return rangeAt(this.store, this.revision, key, rangeEnd, options);
  }

  keyVersions(key: Buffer, rangeEnd: Buffer): KeyVersion[] {
    return keyVersionsAt(this.store.index, key, rangeEnd, this.revision);
  }
}

export class MvccStore implements WritableStore {
  index = new KeyIndex();
  /** Records by revision, per store: two servers in one process never share one. */
  readonly records = new RecordCache();
  private revision = EMPTY_STORE_REVISION;
  /** Leased keys found by the last index rebuild, for one forEachLeasedKey; stale once a write moves the revision. */
  private restoredLeases: { readonly atRevision: number; readonly keys: Map<string, bigint> } | null = null;
  private compactRev = 0;
  private writeOpen = false;
  private applied = { index: 0, term: 0 };
  private compactions: Promise<void> = Promise.resolve();
  private closing: Promise<void> | null = null;
  /** Closed from beginReplace until reloadFromBackend: the backend's records do not match the index. */
  private readonly replacement = new ReplacementGate();
  private readonly compactionBatchLimit: number;
  /**
   * Whether write events carry previous values. Reading them costs a backend read
   * and a decode per changed key, so the owner says when someone (a watcher asking
   * prev_kv) will look; etcd likewise reads them only for such watchers.
   */
  prevKvWanted: () => boolean = () => true;

  private constructor(
    readonly backend: Backend,
    options: MvccStoreOptions,
  ) {
    this.compactionBatchLimit = options.compactionBatchLimit ?? COMPACTION_BATCH_REVISIONS_DEFAULT;
    assert(this.compactionBatchLimit >= 1, 'compactionBatchLimit must be at least 1');
  }

  /**
   * Rebuilds the key index from the backend and resumes a compaction that was
   * scheduled but not finished (see physicalCompaction()).
   */
  static open(backend: Backend, options: MvccStoreOptions = {}): MvccStore {
    const store = new MvccStore(backend, options);
    store.compactRev = readFinishedCompact(backend);
    const scheduled = readScheduledCompact(backend);
    const { newest, leasedKeys } = restoreIndex(backend, store.index);
    // History up to a compaction may be entirely gone, yet the revision never
    // goes backwards past it (a scheduled one was at most the revision then).
    store.revision = Math.max(newest, store.compactRev, scheduled, EMPTY_STORE_REVISION);
    store.applied = readConsistentIndex(backend);
    store.restoredLeases = { atRevision: store.revision, keys: leasedKeys };
    store.resumeCompaction(scheduled);
    return store;
  }

  /** A compaction scheduled in the backend but not finished (a crash, a snapshot taken mid-way) goes on. */
  private resumeCompaction(scheduled: number): void {
    if (scheduled > this.compactRev) this.compact(scheduled).physical.catch(() => undefined);
  }

  /**
   * The backend's contents are about to be replaced wholesale (a snapshot from the
   * leader), in slices with commits between them. Until reloadFromBackend (or
   * abandonReplace), reads must wait for whenReadable(), and a running compaction
   * stops at its next batch; this resolves once no compaction or hash is running.
   */
  async beginReplace(): Promise<void> {
    this.replacement.close();
    await this.compactions;
  }

  /** The replacement failed half way: the backend holds a mix that must never be read. */
  abandonReplace(error: Error): void {
    this.replacement.fail(error);
  }

  /** False while a replacement is under way: read() must wait for whenReadable(). */
  get readable(): boolean {
    return this.replacement.isOpen;
  }

  /** Resolves once the store may be read (at once unless a replacement is under way). */
  whenReadable(): Promise<void> {
    return this.replacement.passed();
  }

  /**
   * After the backend's contents were replaced wholesale (a snapshot from the
   * leader was installed), rebuilds the index, revisions and marks from it.
   */
  reloadFromBackend(): void {
    assert(!this.writeOpen, 'reloadFromBackend with a write open');
    assert(!this.replacement.isOpen, 'reloadFromBackend without beginReplace');
    // The new contents may hold other records under revisions cached from the old ones.
    this.records.clear();
    this.index = new KeyIndex();
    this.compactRev = readFinishedCompact(this.backend);
    const scheduled = readScheduledCompact(this.backend);
    const { newest, leasedKeys } = restoreIndex(this.backend, this.index);
    this.revision = Math.max(newest, this.compactRev, scheduled, EMPTY_STORE_REVISION);
    this.applied = readConsistentIndex(this.backend);
    this.restoredLeases = { atRevision: this.revision, keys: leasedKeys };
    this.replacement.open();
    this.resumeCompaction(scheduled);
  }

  get currentRevision(): number {
    return this.revision;
  }

  get compactRevision(): number {
    return this.compactRev;
  }

  /** Keys in the index, including deleted ones whose history is not compacted yet. */
  get keyCount(): number {
    return this.index.keyCount;
  }

  /**
   * Visits every live key that carries a lease (in no promised order), so the
   * lessor can reattach keys to leases at start-up as etcd's restore does.
   */
  forEachLeasedKey(visit: (key: Buffer, lease: bigint) => void): void {
    const restored = this.restoredLeases;
    this.restoredLeases = null;
    // Right after a restore (the lessor's case) the index rebuild already found them.
    if (restored !== null && restored.atRevision === this.revision) {
      for (const [k, lease] of restored.keys) visit(Buffer.from(k, 'latin1'), lease);
      return;
    }
    const everything = toIndexRange(Buffer.from([0]), Buffer.from([0]));
    this.index.forEachLive(everything, this.revision, (_k, _h, at) => {
      const kv = readKv(this.backend, at.modified);
      if (kv.lease !== 0n) visit(kv.key, kv.lease);
    });
  }

  read(): ReadView {
    assert(this.closing === null, 'read after close');
    assert(this.replacement.isOpen, 'read while the backend is being replaced');
    return new StoreReadView(this, this.revision);
  }

  write(): WriteTxn {
    assert(this.closing === null, 'write after close');
    assert(!this.writeOpen, 'a write txn is already open');
    this.writeOpen = true;
    return new StoreWriteTxn(this);
  }

  finishWrite(revision: number): void {
    assert(this.writeOpen, 'finishWrite without an open write txn');
    assert(revision === this.revision || revision === this.revision + 1, 'write txn skipped a revision');
    this.revision = revision;
    this.writeOpen = false;
  }

  /**
   * Logically immediate: reads below `revision` fail from now on. The returned
   * promise resolves once the history is gone from the backend.
   */
  compact(revision: number): { physical: Promise<void> } {
    assert(this.closing === null, 'compact after close');
    // A store never compacted takes revision 0 once, as etcd's does (its first floor is -1).
    const floor = this.compactRev === 0 && !hasCompactMark(this.backend) ? NEVER_COMPACTED_FLOOR : this.compactRev;
    if (revision <= floor) throw new EtcdError('Compacted');
    if (revision > this.revision) throw new EtcdError('FutureRev');
    this.compactRev = revision;
    writeScheduledCompact(this.backend, revision);
    const run = async (): Promise<void> => {
      // The scheduled mark is on disk before any history goes, so a crash
      // mid-way resumes the compaction at the next start-up.
      await this.backend.commit();
      const keep = await this.compactIndex(revision);
      if (keep === undefined) return;
      await removeCompactedHistory(this.backend, revision, keep, this.compactionBatchLimit, () => this.mustStopCompacting());
    };
    const physical = this.compactions.then(run);
    this.compactions = physical.catch(() => undefined);
    return { physical };
  }

  /**
   * Trims the index in chunks that yield to the event loop, so a million keys
   * do not stall reads; reads below the revision already fail meanwhile.
   * Undefined if the store closed first.
   */
  private async compactIndex(revision: number): Promise<Set<string> | undefined> {
    const keep = new Set<string>();
    let from: string | undefined = '';
    // Each chunk resumes after the last key it saw, so the walk ends.
    while (from !== undefined) {
      if (this.mustStopCompacting()) return undefined;
      from = this.index.compactChunk(revision, from, INDEX_COMPACTION_CHUNK_KEYS, keep);
      if (from !== undefined) await yieldToEventLoop();
    }
    return keep;
  }

  /** Closing, or the backend is being replaced (which brings its own compaction state). */
  private mustStopCompacting(): boolean {
    return this.closing !== null || !this.replacement.isOpen;
  }

  /** Resolves when every compaction (and hash) queued so far has finished. */
  physicalCompaction(): Promise<void> {
    return this.compactions;
  }

  /**
   * etcd's HashByRev (revision 0: current). Queued with compactions so none
   * removes records while the hash reads them in chunks.
   */
  hashKV(revision: number): Promise<HashKVResult> {
    // Not queued while the backend is replaced: beginReplace waits for the queue to drain.
    if (!this.readable) return this.whenReadable().then(() => this.hashKV(revision));
    try {
      this.checkHashRevision(revision);
    } catch (error: unknown) {
      return Promise.reject(error);
    }
    // Revision 0 means the revision at the time of the request, not when the
    // queued hash starts.
    const atRevision = revision === 0 ? this.revision : revision;
    const run = this.compactions.then(() => {
      // etcd refuses an explicit revision at the compact revision, but hashing "now"
      // right after compacting to now is fine; only history lost meanwhile fails.
      if (revision === 0) {
        if (atRevision < this.compactRev) throw new EtcdError('Compacted');
      } else this.checkHashRevision(atRevision);
      return hashKeyBucket(this, atRevision);
    });
    this.compactions = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  setConsistentIndex(index: number, term: number): void {
    this.applied = { index, term };
    writeConsistentIndex(this.backend, index, term);
  }

  consistentIndex(): { index: number; term: number } {
    return { ...this.applied };
  }

  /**
   * Events with revision in [fromRevision, toRevision] for keys in the range,
   * in revision order; a revision is never split across calls. Continue from
   * `nextRevision`. As etcd's watch, starting exactly at the compact revision
   * is allowed (its puts were kept); only below it throws Compacted, so a
   * client that restarts its watch at the reported compact revision succeeds.
   */
  eventsBetween(
    fromRevision: number,
    toRevision: number,
    key: Buffer,
    rangeEnd: Buffer,
    maxEvents: number,
    withPrevKv = false,
  ): HistoryBatch {
    if (fromRevision < this.compactRev) throw new EtcdError('Compacted');
    return readHistory(this, fromRevision, Math.min(toRevision, this.revision), key, rangeEnd, maxEvents, withPrevKv);
  }

  commit(): Promise<void> {
    return this.backend.commit();
  }

  /**
   * Stops compaction at its next batch boundary and commits. The backend
   * belongs to the caller, who closes it after the store.
   */
  close(): Promise<void> {
    if (this.closing === null) {
      this.closing = (async () => {
        await this.compactions;
        await this.backend.commit();
      })();
    }
    return this.closing;
  }

  private checkHashRevision(revision: number): void {
    if (revision > 0 && revision <= this.compactRev) throw new EtcdError('Compacted');
    if (revision > this.revision) throw new EtcdError('FutureRev');
  }
}

