// Reads every record of one segment and decides how it ends: cleanly, with a torn
// tail that repair may cut off (last segment only), or with damage that must stop
// the server (WalCorruptError naming the file and byte offset).
import { FRAME_ALIGN_BYTES, readFrame } from './record-frame.js';
import { decodePayload, PayloadError, type WalRecord } from './record-payloads.js';
import { WalCorruptError } from './wal-errors.js';

/** Torn-write analysis works in disk sectors, as the kernel may persist them in any order. */
const SECTOR_BYTES = 512;
const ZERO_CHUNK = new Uint8Array(64 * 1024);

export interface ScannedRecord {
  readonly record: WalRecord;
  readonly offsetBytes: number;
  readonly crc: number;
  readonly writeSeq: number;
}

export interface SegmentScan {
  readonly records: readonly ScannedRecord[];
  /** Where the last good record ends: appends continue here. */
  readonly endOffsetBytes: number;
  /** Bytes after endOffsetBytes that are not zero and must be cleared by repair (0 when clean). */
  readonly dirtyEndBytes: number;
  readonly torn: boolean;
}

export function scanSegment(bytes: Uint8Array, file: string, isLast: boolean): SegmentScan {
  const records: ScannedRecord[] = [];
  let offset = 0;
  // Each pass consumes at least one aligned frame, so the file length bounds the loop.
  while (offset < bytes.length) {
    const frame = readFrame(bytes, offset);
    if (frame.kind !== 'record') {
      const reason = frame.kind === 'bad' ? frame.reason : 'zero frame header';
      return finishAtDamage(bytes, file, isLast, records, offset, reason);
    }
    let record: WalRecord;
    try {
      record = decodePayload(frame.type, frame.payload);
    } catch (error) {
      if (error instanceof PayloadError) throw new WalCorruptError(file, offset, error.message);
      throw error;
    }
    records.push({ record, offsetBytes: offset, crc: frame.crc, writeSeq: frame.writeSeq });
    offset = frame.endOffset;
  }
  return { records, endOffsetBytes: offset, dirtyEndBytes: offset, torn: false };
}

function finishAtDamage(
  bytes: Uint8Array,
  file: string,
  isLast: boolean,
  records: ScannedRecord[],
  offset: number,
  reason: string,
): SegmentScan {
  const dirtyEndBytes = lastNonZeroEnd(bytes, offset);
  if (dirtyEndBytes === offset) {
    return { records, endOffsetBytes: offset, dirtyEndBytes: offset, torn: false };
  }
  if (!isLast) throw new WalCorruptError(file, offset, `${reason} in a segment that is not the last`);
  const survivors = laterRecordWriteSeqs(bytes, offset + FRAME_ALIGN_BYTES);
  const lastWriteSeq = records.at(-1)?.writeSeq;
  if (survivors.firstOffset === null) {
    return { records, endOffsetBytes: offset, dirtyEndBytes, torn: true };
  }
  if (lastWriteSeq !== undefined && isTornWrite(bytes, offset, survivors.firstOffset, lastWriteSeq, survivors.seqs)) {
    return { records, endOffsetBytes: offset, dirtyEndBytes, torn: true };
  }
  throw new WalCorruptError(file, offset, `${reason}; a valid record follows at byte offset ${survivors.firstOffset}`);
}

/**
 * Valid records after damage are tolerated only as the debris of the final, never
 * acknowledged write: the kernel may persist that write's sectors out of order, so
 * an unwritten (all-zero) sector sits in the damage, and all survivors come from one
 * write, which is that of the last good record or the one after it. Survivors from
 * two writes mean an acknowledged write was damaged.
 */
function isTornWrite(
  bytes: Uint8Array,
  damageOffset: number,
  survivorOffset: number,
  lastWriteSeq: number,
  survivorSeqs: ReadonlySet<number>,
): boolean {
  const [survivorSeq] = survivorSeqs;
  if (survivorSeqs.size !== 1 || survivorSeq === undefined) return false;
  if (survivorSeq !== lastWriteSeq && survivorSeq !== ((lastWriteSeq + 1) >>> 0)) return false;
  for (let start = damageOffset; start < survivorOffset; ) {
    const end = Math.min(survivorOffset, (Math.floor(start / SECTOR_BYTES) + 1) * SECTOR_BYTES);
    if (isZeroRange(bytes, start, end)) return true;
    start = end;
  }
  return false;
}

function laterRecordWriteSeqs(bytes: Uint8Array, from: number): { firstOffset: number | null; seqs: Set<number> } {
  const seqs = new Set<number>();
  let firstOffset: number | null = null;
  let offset = Math.ceil(from / FRAME_ALIGN_BYTES) * FRAME_ALIGN_BYTES;
  // Every pass advances by at least one aligned frame, so the file length bounds the loop.
  while (offset < bytes.length) {
    if (offset % SECTOR_BYTES === 0 && isZeroRange(bytes, offset, Math.min(bytes.length, offset + SECTOR_BYTES))) {
      offset += SECTOR_BYTES;
      continue;
    }
    const frame = readFrame(bytes, offset);
    if (frame.kind === 'record') {
      firstOffset ??= offset;
      seqs.add(frame.writeSeq);
      offset = frame.endOffset;
    } else {
      offset += FRAME_ALIGN_BYTES;
    }
  }
  return { firstOffset, seqs };
}

/** The end of the last non-zero byte at or after `from` (== from when the rest is zero). */
function lastNonZeroEnd(bytes: Uint8Array, from: number): number {
  let end = bytes.length;
  // Walk back chunk by chunk; the file length bounds the loop.
  while (end > from) {
    const start = Math.max(from, end - ZERO_CHUNK.length);
    if (!isZeroRange(bytes, start, end)) {
      for (let i = end - 1; i >= start; i--) if (bytes[i] !== 0) return i + 1;
    }
    end = start;
  }
  return from;
}

function isZeroRange(bytes: Uint8Array, start: number, end: number): boolean {
  for (let at = start; at < end; at += ZERO_CHUNK.length) {
    const length = Math.min(ZERO_CHUNK.length, end - at);
    if (Buffer.compare(bytes.subarray(at, at + length), ZERO_CHUNK.subarray(0, length)) !== 0) return false;
  }
  return true;
}
