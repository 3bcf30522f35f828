// The store's records in the `meta` bucket, in etcd's encodings: compaction
// marks as 17-byte revisions, the consistent index and term as 8-byte big-endian.
import type { Backend } from '../backend/backend.js';
import { parseRevisionMain, REVISION_BYTES, revisionBytes } from './revision.js';

const SCHEDULED_COMPACT_KEY = Buffer.from('scheduledCompactRev');
const FINISHED_COMPACT_KEY = Buffer.from('finishedCompactRev');
const CONSISTENT_INDEX_KEY = Buffer.from('consistent_index');
const TERM_KEY = Buffer.from('term');
const UINT64_BYTES = 8;
const UINT32_SPAN = 2 ** 32;

function uint64Bytes(value: number): Buffer {
  const buf = Buffer.allocUnsafe(UINT64_BYTES);
  buf.writeUInt32BE(Math.floor(value / UINT32_SPAN), 0);
  buf.writeUInt32BE(value >>> 0, 4);
  return buf;
}

function readUint64(buf: Buffer | undefined): number {
  if (buf === undefined || buf.length < UINT64_BYTES) return 0;
  return buf.readUInt32BE(0) * UINT32_SPAN + buf.readUInt32BE(4);
}

function readRevisionMark(buf: Buffer | undefined): number {
  return buf === undefined || buf.length < REVISION_BYTES ? 0 : parseRevisionMain(buf);
}

export function readScheduledCompact(backend: Backend): number {
  return readRevisionMark(backend.get('meta', SCHEDULED_COMPACT_KEY));
}

/** Whether any compaction was ever scheduled (at revision 0 too): etcd's floor is -1 until then. */
export function hasCompactMark(backend: Backend): boolean {
  return backend.get('meta', SCHEDULED_COMPACT_KEY) !== undefined;
}

export function readFinishedCompact(backend: Backend): number {
  return readRevisionMark(backend.get('meta', FINISHED_COMPACT_KEY));
}

export function writeScheduledCompact(backend: Backend, rev: number): void {
  backend.put('meta', SCHEDULED_COMPACT_KEY, revisionBytes(rev, 0));
}

export function writeFinishedCompact(backend: Backend, rev: number): void {
  backend.put('meta', FINISHED_COMPACT_KEY, revisionBytes(rev, 0));
}

export function readConsistentIndex(backend: Backend): { index: number; term: number } {
  return {
    index: readUint64(backend.get('meta', CONSISTENT_INDEX_KEY)),
    term: readUint64(backend.get('meta', TERM_KEY)),
  };
}

export function writeConsistentIndex(backend: Backend, index: number, term: number): void {
  backend.put('meta', CONSISTENT_INDEX_KEY, uint64Bytes(index));
  backend.put('meta', TERM_KEY, uint64Bytes(term));
}
