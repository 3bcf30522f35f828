// Rebuilding the key index at start-up from the `key` bucket, read in revision
// order. A backend that can parse records in place (lmdb) is read in one pass
// without copies; otherwise in bounded chunks through range(). The same pass
// notes which live keys carry a lease, so the lessor need not read them again.
import type { Backend } from '../backend/backend.js';
import { assert } from '../util/assert.js';
import { readIndexRecord, type IndexRecord } from './index-record.js';
import type { KeyIndex } from './key-index.js';
import { isTombstoneKey, parseRevisionMain, parseRevisionSub, revisionBytes } from './revision.js';

/** etcd's restoreChunkKeys: records read from the backend per chunk. */
const RESTORE_CHUNK_RECORDS = 10_000;

/** A backend that hands committed records to a parser in place (see LmdbBackend). */
export interface InPlaceScanner {
  /** False, visiting nothing, when some writes are not committed yet. */
  visitCommitted<T>(
    bucket: 'key',
    start: Buffer,
    parse: (value: Uint8Array, valueBytes: number) => T,
    visitor: (key: Uint8Array, parsed: T) => void,
  ): boolean;
}

export interface RestoredIndex {
  /** The newest main revision found (0 if none). */
  readonly newest: number;
  /** Live keys ('latin1') that carry a lease, with the lease id. */
  readonly leasedKeys: Map<string, bigint>;
}

/** Fills `index` from `backend`'s key bucket. */
export function restoreIndex(backend: Backend, index: KeyIndex): RestoredIndex {
  const state = { newest: 0, leasedKeys: new Map<string, bigint>() };
  const apply = (revKey: Uint8Array, record: IndexRecord): void => applyRecord(index, state, revKey, record);
  const start = revisionBytes(1, 0);
  const scratch: IndexRecord = { key: '', createRevision: 0, version: 0, lease: 0n };
  const parse = (value: Uint8Array, valueBytes: number): IndexRecord => readIndexRecord(value, valueBytes, scratch);
  if (hasInPlaceScan(backend) && backend.visitCommitted('key', start, parse, apply)) return state;
  restoreInChunks(backend, start, (revKey, value) => apply(revKey, parse(value, value.length)));
  return state;
}

function hasInPlaceScan(backend: Backend): backend is Backend & InPlaceScanner {
  return typeof (backend as Partial<InPlaceScanner>).visitCommitted === 'function';
}

function restoreInChunks(backend: Backend, from: Buffer, visit: (revKey: Buffer, value: Buffer) => void): void {
  let start = from;
  // Every full chunk moves `start` past its last key, so the scan ends.
  for (;;) {
    const chunk = backend.range('key', start, undefined, RESTORE_CHUNK_RECORDS);
    for (const { key, value } of chunk) visit(key, value);
    if (chunk.length < RESTORE_CHUNK_RECORDS) return;
    const last = (chunk[chunk.length - 1] as { key: Buffer }).key;
    const next = Buffer.concat([last, Buffer.from([0])]);
    assert(Buffer.compare(next, start) > 0, 'index restore made no progress');
    start = next;
  }
}

function applyRecord(index: KeyIndex, state: { newest: number; leasedKeys: Map<string, bigint> }, revKey: Uint8Array, record: IndexRecord): void {
  const bytes = Buffer.isBuffer(revKey) ? revKey : Buffer.from(revKey.buffer, revKey.byteOffset, revKey.byteLength);
  const main = parseRevisionMain(bytes);
  const sub = parseRevisionSub(bytes);
  if (main > state.newest) state.newest = main;
  const k = record.key;
  if (isTombstoneKey(bytes)) {
    // A tombstone whose put was already compacted away (an interrupted
    // compaction) has nothing left to end; the resumed compaction drops it.
    const h = index.history(k);
    if (h !== undefined && h.isLive()) h.tombstone(main, sub);
    state.leasedKeys.delete(k);
    return;
  }
  index.historyFor(k).restorePut(main, sub, record.createRevision, record.version);
  if (record.lease !== 0n) state.leasedKeys.set(k, record.lease);
  else if (state.leasedKeys.size > 0) state.leasedKeys.delete(k);
}
