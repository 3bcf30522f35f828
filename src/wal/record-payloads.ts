// The kinds of WAL record and the byte layout of each one's payload. Framing
// (length, CRC, padding) is record-frame.ts's job; this file only knows fields.
import type { Entry, HardState } from '../raft/types.js';
import { EntryType } from '../raft/types.js';

export enum RecordType {
  /** First record of every segment: ties the file to its WAL, its place and its predecessor. */
  SegmentHeader = 1,
  Metadata = 2,
  Entry = 3,
  HardState = 4,
  Snapshot = 5,
}

export interface SnapshotMarker {
  readonly index: number;
  readonly term: number;
}

export interface SegmentHeader {
  /** Random per WAL, so a segment of another WAL cannot be mixed in. */
  readonly walId: bigint;
  readonly seq: number;
  readonly firstIndex: number;
  /** The CRC of the previous segment's last record (0 for the first segment). */
  readonly prevCrc: number;
}

export type WalRecord =
  | { readonly type: RecordType.SegmentHeader; readonly header: SegmentHeader }
  | { readonly type: RecordType.Metadata; readonly metadata: Uint8Array }
  | { readonly type: RecordType.Entry; readonly entry: Entry }
  | { readonly type: RecordType.HardState; readonly hardState: HardState }
  | { readonly type: RecordType.Snapshot; readonly snapshot: SnapshotMarker };

const U64_BYTES = 8;
const SEGMENT_HEADER_BYTES = 3 * U64_BYTES + 4;
const ENTRY_FIXED_BYTES = 2 * U64_BYTES + 1;
const HARD_STATE_BYTES = 3 * U64_BYTES;
const SNAPSHOT_BYTES = 2 * U64_BYTES;

export function isRecordType(value: number): value is RecordType {
  return value >= RecordType.SegmentHeader && value <= RecordType.Snapshot;
}

/** Thrown by decodePayload; the reader turns it into a WalCorruptError with file and offset. */
export class PayloadError extends Error {}

export function encodePayload(record: WalRecord): Uint8Array {
  switch (record.type) {
    case RecordType.SegmentHeader: {
      const { view, bytes } = allocate(SEGMENT_HEADER_BYTES);
      view.setBigUint64(0, record.header.walId, true);
      view.setBigUint64(8, BigInt(record.header.seq), true);
      view.setBigUint64(16, BigInt(record.header.firstIndex), true);
      view.setUint32(24, record.header.prevCrc, true);
      return bytes;
    }
    case RecordType.Metadata:
      return record.metadata;
    case RecordType.Entry: {
      const { view, bytes } = allocate(ENTRY_FIXED_BYTES + record.entry.data.length);
      view.setBigUint64(0, BigInt(record.entry.index), true);
      view.setBigUint64(8, BigInt(record.entry.term), true);
      view.setUint8(16, record.entry.type);
      bytes.set(record.entry.data, ENTRY_FIXED_BYTES);
      return bytes;
    }
    case RecordType.HardState: {
      const { view, bytes } = allocate(HARD_STATE_BYTES);
      view.setBigUint64(0, BigInt(record.hardState.term), true);
      view.setBigUint64(8, record.hardState.vote, true);
      view.setBigUint64(16, BigInt(record.hardState.commit), true);
      return bytes;
    }
    case RecordType.Snapshot: {
      const { view, bytes } = allocate(SNAPSHOT_BYTES);
      view.setBigUint64(0, BigInt(record.snapshot.index), true);
      view.setBigUint64(8, BigInt(record.snapshot.term), true);
      return bytes;
    }
  }
}

/** Copies what it keeps, so the caller's (possibly large) read buffer can be freed. */
export function decodePayload(type: RecordType, payload: Uint8Array): WalRecord {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  switch (type) {
    case RecordType.SegmentHeader:
      expectLength(payload, SEGMENT_HEADER_BYTES, 'segment header');
      return {
        type,
        header: {
          walId: view.getBigUint64(0, true),
          seq: readIndex(view, 8),
          firstIndex: readIndex(view, 16),
          prevCrc: view.getUint32(24, true),
        },
      };
    case RecordType.Metadata:
      return { type, metadata: payload.slice() };
    case RecordType.Entry:
      return { type, entry: decodeEntry(payload, view) };
    case RecordType.HardState:
      expectLength(payload, HARD_STATE_BYTES, 'hard state');
      return {
        type,
        hardState: { term: readIndex(view, 0), vote: view.getBigUint64(8, true), commit: readIndex(view, 16) },
      };
    case RecordType.Snapshot:
      expectLength(payload, SNAPSHOT_BYTES, 'snapshot marker');
      return { type, snapshot: { index: readIndex(view, 0), term: readIndex(view, 8) } };
  }
}

function decodeEntry(payload: Uint8Array, view: DataView): Entry {
  if (payload.length < ENTRY_FIXED_BYTES) {
    throw new PayloadError(`entry payload of ${payload.length} bytes is too short`);
  }
  const entryType = view.getUint8(16);
  if (entryType !== EntryType.Normal && entryType !== EntryType.ConfChange) {
    throw new PayloadError(`unknown entry type ${entryType}`);
  }
  return {
    index: readIndex(view, 0),
    term: readIndex(view, 8),
    type: entryType,
    data: payload.slice(ENTRY_FIXED_BYTES),
  };
}

function allocate(lengthBytes: number): { view: DataView; bytes: Uint8Array } {
  const bytes = new Uint8Array(lengthBytes);
  return { bytes, view: new DataView(bytes.buffer) };
}

function expectLength(payload: Uint8Array, lengthBytes: number, what: string): void {
  if (payload.length !== lengthBytes) {
    throw new PayloadError(`${what} payload is ${payload.length} bytes, expected ${lengthBytes}`);
  }
}

function readIndex(view: DataView, offset: number): number {
  const value = view.getBigUint64(offset, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new PayloadError(`index or term ${value} exceeds 2^53`);
  }
  return Number(value);
}
