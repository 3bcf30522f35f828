// Frames one record on disk: payload length, CRC-32, type byte, write sequence,
// payload, zero padding to 8 bytes. Also recognises where a frame is unreadable.
//
//   0  u32 LE  payload length in bytes
//   4  u32 LE  CRC-32 of bytes 8 .. end of payload (type, reserved, write seq, payload)
//   8  u8      record type (never 0, so zeroed preallocated space never reads as a record)
//   9  u8[3]   reserved, zero
//  12  u32 LE  write sequence: which write() put the record on disk (torn-write analysis)
//  16  payload, then zeros up to the next multiple of 8
import { crc32 } from 'node:zlib';
import { isRecordType, type RecordType } from './record-payloads.js';

export const FRAME_HEADER_BYTES = 16;
export const FRAME_ALIGN_BYTES = 8;
/** Larger than any entry etcd accepts (1.5 MiB requests) by a wide margin; bigger lengths are damage. */
export const MAX_RECORD_PAYLOAD_BYTES = 256 * 1024 * 1024;

export function paddedFrameBytes(payloadBytes: number): number {
  const raw = FRAME_HEADER_BYTES + payloadBytes;
  return Math.ceil(raw / FRAME_ALIGN_BYTES) * FRAME_ALIGN_BYTES;
}

/**
 * Frames the payload already written at `offset` + FRAME_HEADER_BYTES (`payloadBytes`
 * long; `target` must have room for the padded frame): header, zero padding, CRC.
 * Returns the frame's CRC.
 */
export function sealFrame(
  target: Uint8Array,
  view: DataView,
  offset: number,
  type: RecordType,
  writeSeq: number,
  payloadBytes: number,
): number {
  view.setUint32(offset, payloadBytes, true);
  view.setUint8(offset + 8, type);
  view.setUint8(offset + 9, 0);
  view.setUint16(offset + 10, 0, true);
  view.setUint32(offset + 12, writeSeq >>> 0, true);
  target.fill(0, offset + FRAME_HEADER_BYTES + payloadBytes, offset + paddedFrameBytes(payloadBytes));
  const crc = frameCrc(target, offset, payloadBytes);
  view.setUint32(offset + 4, crc, true);
  return crc;
}

export type FrameRead =
  | {
      readonly kind: 'record';
      readonly type: RecordType;
      readonly crc: number;
      readonly writeSeq: number;
      readonly payload: Uint8Array;
      readonly endOffset: number;
    }
  /** A zero header: the end of what was ever written here. */
  | { readonly kind: 'end' }
  | { readonly kind: 'bad'; readonly reason: string };

export function readFrame(source: Uint8Array, offset: number): FrameRead {
  const remaining = source.length - offset;
  if (remaining <= 0) return { kind: 'end' };
  if (remaining < FRAME_HEADER_BYTES) {
    return isZero(source, offset, source.length) ? { kind: 'end' } : { kind: 'bad', reason: 'partial frame header' };
  }
  if (isZero(source, offset, offset + FRAME_HEADER_BYTES)) return { kind: 'end' };
  const view = new DataView(source.buffer, source.byteOffset + offset, FRAME_HEADER_BYTES);
  const payloadBytes = view.getUint32(0, true);
  const type = view.getUint8(8);
  if (!isRecordType(type) || view.getUint8(9) !== 0 || view.getUint16(10, true) !== 0) {
    return { kind: 'bad', reason: `invalid frame header (type ${type})` };
  }
  if (payloadBytes > MAX_RECORD_PAYLOAD_BYTES || paddedFrameBytes(payloadBytes) > remaining) {
    return { kind: 'bad', reason: `frame length ${payloadBytes} runs past the end of the file` };
  }
  const crc = view.getUint32(4, true);
  if (frameCrc(source, offset, payloadBytes) !== crc) return { kind: 'bad', reason: 'CRC mismatch' };
  const payloadStart = offset + FRAME_HEADER_BYTES;
  return {
    kind: 'record',
    type,
    crc,
    writeSeq: view.getUint32(12, true),
    payload: source.subarray(payloadStart, payloadStart + payloadBytes),
    endOffset: offset + paddedFrameBytes(payloadBytes),
  };
}

function frameCrc(source: Uint8Array, offset: number, payloadBytes: number): number {
  return crc32(source.subarray(offset + 8, offset + FRAME_HEADER_BYTES + payloadBytes));
}

export function isZero(source: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    if (source[i] !== 0) return false;
  }
  return true;
}
