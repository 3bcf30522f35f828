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

/** How many bytes writePayload writes for `record`. */
export function payloadBytes(record: WalRecord): number {
  switch (record.type) {
    case RecordType.SegmentHeader:
      return SEGMENT_HEADER_BYTES;
    case RecordType.Metadata:
      return record.metadata.length;
    case RecordType.Entry:
      return ENTRY_FIXED_BYTES + record.entry.data.length;
    case RecordType.HardState:
      return HARD_STATE_BYTES;
    case RecordType.Snapshot:
      return SNAPSHOT_BYTES;
  }
}

/**
 * Writes `record`'s payload where its frame will hold it (`view` covers `target`):
 * the WAL frames a whole batch in one buffer, so no record gets a buffer of its own.
 */
export function writePayload(record: WalRecord, target: Uint8Array, view: DataView, at: number): void {
  switch (record.type) {
    case RecordType.SegmentHeader:
      view.setBigUint64(at, record.header.walId, true);
      writeIndex(view, at + 8, record.header.seq);
      writeIndex(view, at + 16, record.header.firstIndex);
      view.setUint32(at + 24, record.header.prevCrc, true);
      return;
    case RecordType.Metadata:
      target.set(record.metadata, at);
      return;
    case RecordType.Entry:
      writeIndex(view, at, record.entry.index);
      writeIndex(view, at + 8, record.entry.term);
      view.setUint8(at + 16, record.entry.type);
      target.set(record.entry.data, at + ENTRY_FIXED_BYTES);
      return;
    case RecordType.HardState:
      writeIndex(view, at, record.hardState.term);
      view.setBigUint64(at + 8, record.hardState.vote, true);
      writeIndex(view, at + 16, record.hardState.commit);
      return;
    case RecordType.Snapshot:
      writeIndex(view, at, record.snapshot.index);
      writeIndex(view, at + 8, record.snapshot.term);
      return;
  }
}

const TWO_POW_32 = 2 ** 32;

/** An index or term (a safe integer) as a little-endian u64, without a BigInt per field. */
function writeIndex(view: DataView, at: number, value: number): void {
  view.setUint32(at, value >>> 0, true);
  view.setUint32(at + 4, Math.floor(value / TWO_POW_32), true);
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
