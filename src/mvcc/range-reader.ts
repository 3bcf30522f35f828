// Serving a range at a revision: the key index picks the live revisions, the
// backend's `key` bucket holds their values, and the store's record cache holds
// copies of the ones read more than once.
import type { Backend, InPlaceReader } from '../backend/backend.js';
import { EtcdError } from '../errors/etcd-error.js';
import { KeyValue } from '../generated/mvccpb/kv.js';
import { assert } from '../util/assert.js';
import { toIndexRange, type KeyIndex } from './key-index.js';
import type { RangeOptions, RangeResult } from './kv-view.js';
import { RecordPacker, type PackedRecords } from './packed-records.js';
import type { RecordCache } from './record-cache.js';
import { REVISION_BYTES, revisionBytes, writeRevisionBytes, type Revision } from './revision.js';

/** What a range needs from the store, read at call time. */
export interface StoreState {
  readonly index: KeyIndex;
  readonly backend: Backend;
  readonly compactRevision: number;
  /** The store's own cache of records by revision, filled by ranges. */
  readonly records: RecordCache;
}

/**
 * Copies an encoder's output into a Buffer; small copies share Node's buffer
 * pool instead of each keeping its own ArrayBuffer alive for years.
 */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes);
}

/** The stored record of a live put; the index guarantees it exists. */
export function readKv(backend: Backend, rev: Revision): KeyValue {
  return KeyValue.decode(readRecord(backend, rev));
}

/**
 * The lookup key of every record read: a get keeps no reference to its key, and
 * reads run one at a time on the event loop, so one buffer serves them all.
 */
const lookupKey = Buffer.alloc(REVISION_BYTES);

/** readKv's bytes, undecoded: the mvccpb.KeyValue encoding etcd stores. */
function readRecord(backend: Backend, rev: Revision): Buffer {
  writeRevisionBytes(lookupKey, rev.main, rev.sub);
  const value = backend.get('key', lookupKey);
  assert(value !== undefined, `key index points at missing revision ${rev.main}.${rev.sub}`);
  return value;
}

/** Packs every range's records; ranges run one at a time. */
const packer = new RecordPacker();

/** Where the next in-place read's record is cached; set just before each read. */
const fillTarget: { cache: RecordCache | null; main: number; sub: number } = { cache: null, main: 0, sub: 0 };

/** Packs a record read from the backend, then offers it to the cache. */
const packAndCache: InPlaceReader = (value, valueBytes) => {
  packer.append(value, valueBytes);
  const { cache } = fillTarget;
  assert(cache !== null, 'record read without a cache to fill');
  cache.insert(fillTarget.main, fillTarget.sub, value, valueBytes);
};

/** The stored records of `revs`, in order, each copied once from the cache or from where the backend holds it. */
function packRecords(state: StoreState, revs: readonly Revision[]): PackedRecords {
  const cache = state.records;
  packer.start(revs.length);
  let records: PackedRecords;
  try {
    fillTarget.cache = cache;
    for (const rev of revs) {
      const cached = cache.get(rev.main, rev.sub);
      if (cached !== undefined) {
        packer.appendExact(cached);
        continue;
      }
      writeRevisionBytes(lookupKey, rev.main, rev.sub);
      fillTarget.main = rev.main;
      fillTarget.sub = rev.sub;
      const found = state.backend.readInPlace('key', lookupKey, packAndCache);
      assert(found, `key index points at missing revision ${rev.main}.${rev.sub}`);
    }
  } finally {
    // Also when a read throws: the packer is then ready for the next range.
    fillTarget.cache = null;
    records = packer.finish();
  }
  return records;
}

/**
 * readKv through the store's cache. The decoder copies bytes fields (Buffer.from of
 * the reader's view), so a decoded record never pins a slab the cache has dropped.
 */
function readKvCached(state: StoreState, rev: Revision): KeyValue {
  const cached = state.records.get(rev.main, rev.sub);
  if (cached !== undefined) return KeyValue.decode(cached);
  const value = readRecord(state.backend, rev);
  state.records.insert(rev.main, rev.sub, value, value.length);
  return KeyValue.decode(value);
}

/**
 * Like readKv, but undefined if the record is gone (compacted history). Never through
 * the cache: it may still hold a compacted record, which must read as gone here.
 */
export function tryReadKv(backend: Backend, rev: Revision): KeyValue | undefined {
  const value = backend.get('key', revisionBytes(rev.main, rev.sub));
  return value === undefined ? undefined : KeyValue.decode(value);
}

/**
 * Reads at options.revision (0: viewRevision). As etcd, reading exactly at the
 * compact revision is allowed: the compaction kept every key's version there.
 */
export function rangeAt(
  state: StoreState,
  viewRevision: number,
  key: Buffer,
  rangeEnd: Buffer,
  options: RangeOptions,
): RangeResult {
  if (options.revision > viewRevision) throw new EtcdError('FutureRev');
  const rev = options.revision <= 0 ? viewRevision : options.revision;
  if (rev < state.compactRevision) throw new EtcdError('Compacted');
  const limit = options.limit > 0 ? options.limit : Number.MAX_SAFE_INTEGER;
  const revs: Revision[] = [];
  let count = 0;
  state.index.forEachLive(toIndexRange(key, rangeEnd), rev, (_k, _h, at) => {
    count++;
    if (!options.countOnly && revs.length < limit) revs.push(at.modified);
  });
  if (options.encoded === true) {
    return { kvs: [], records: packRecords(state, revs), count, revision: viewRevision };
  }
  const kvs = revs.map((r) => readKvCached(state, r));
  return { kvs, count, revision: viewRevision };
}
