// Rebuilding the key index at start-up from the `key` bucket, read in revision
// order. A backend that can parse records in place (lmdb) is read in one pass
// without copies; otherwise in bounded chunks through range(). The same pass
// notes which live keys carry a lease, so the lessor need not read them again.
import type { Backend } from '../backend/backend.js';
import { assert } from '../util/assert.js';
import { IndexRecordError, readIndexRecord, type IndexRecord } from './index-record.js';
import type { KeyIndex } from './key-index.js';
import { REVISION_BYTES, revisionBytes, TOMBSTONE_REVISION_BYTES } from './revision.js';

/** etcd's restoreChunkKeys: records read from the backend per chunk. */
const RESTORE_CHUNK_RECORDS = 10_000;

/** A backend that hands committed records to a parser in place (see LmdbBackend). */
export interface InPlaceScanner {
  /** False, visiting nothing, when some writes are not committed yet. */
  visitCommitted<K, V>(
    bucket: 'key',
    start: Buffer,
    parseKey: (source: Uint8Array, start: number, end: number) => K,
    parseValue: (value: Uint8Array, valueBytes: number) => V,
    visitor: (key: K, value: V) => void,
  ): boolean;
}

export interface RestoredIndex {
  /** The newest main revision found (0 if none). */
  readonly newest: number;
  /** Live keys ('latin1') that carry a lease, with the lease id. */
  readonly leasedKeys: Map<string, bigint>;
}

/** A revision key, read from its bytes: (main, sub) and whether it is a tombstone. */
interface RevisionAt {
  main: number;
  sub: number;
  tombstone: boolean;
}

/** Fills `index` from `backend`'s key bucket. */
export function restoreIndex(backend: Backend, index: KeyIndex): RestoredIndex {
  const state = { newest: 0, leasedKeys: new Map<string, bigint>() };
  const apply = (rev: RevisionAt, record: IndexRecord): void => applyRecord(index, state, rev, record);
  const start = revisionBytes(1, 0);
  // Both are reused for every record: each is applied before the next is read.
  const revision: RevisionAt = { main: 0, sub: 0, tombstone: false };
  const record: IndexRecord = { key: '', createRevision: 0, version: 0, lease: 0n };
  const parseKey = (source: Uint8Array, from: number, to: number): RevisionAt => readRevision(source, from, to, revision);
  const parseValue = (value: Uint8Array, valueBytes: number): IndexRecord => readIndexRecord(value, valueBytes, record);
  if (hasInPlaceScan(backend) && backend.visitCommitted('key', start, parseKey, parseValue, apply)) return state;
  restoreInChunks(backend, start, (revKey, value) => apply(parseKey(revKey, 0, revKey.length), parseValue(value, value.length)));
  return state;
}

const UINT32_SPAN = 2 ** 32;
const TOMBSTONE_MARK_BYTE = 0x74; // 't'

/** The key bucket's layout (see revision.ts): 8-byte big-endian main, '_', 8-byte big-endian sub, maybe 't'. */
function readRevision(source: Uint8Array, from: number, to: number, out: RevisionAt): RevisionAt {
  if (to - from < REVISION_BYTES) throw new IndexRecordError(`the key bucket holds a ${to - from}-byte key, not a revision`);
  const u32 = (at: number): number =>
    (((source[at] as number) << 24) | ((source[at + 1] as number) << 16) | ((source[at + 2] as number) << 8) | (source[at + 3] as number)) >>> 0;
  out.main = u32(from) * UINT32_SPAN + u32(from + 4);
  out.sub = u32(from + 9) * UINT32_SPAN + u32(from + 13);
  out.tombstone = to - from === TOMBSTONE_REVISION_BYTES && source[from + REVISION_BYTES] === TOMBSTONE_MARK_BYTE;
  return out;
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

function applyRecord(index: KeyIndex, state: { newest: number; leasedKeys: Map<string, bigint> }, rev: RevisionAt, record: IndexRecord): void {
  const { main, sub } = rev;
  if (main > state.newest) state.newest = main;
  const k = record.key;
  if (rev.tombstone) {
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
