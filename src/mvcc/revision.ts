// Revisions and their byte form in the `key` bucket, as etcd lays them out:
// 8-byte big-endian main, '_', 8-byte big-endian sub, and a trailing 't' on a
// tombstone, so byte order is revision order.

export interface Revision {
  readonly main: number;
  readonly sub: number;
}

export const REVISION_BYTES = 17;
export const TOMBSTONE_REVISION_BYTES = 18;
const SEPARATOR_BYTE = 0x5f; // '_'
const TOMBSTONE_MARK_BYTE = 0x74; // 't'
const UINT32_SPAN = 2 ** 32;

function writeUint64(buf: Buffer, value: number, offset: number): void {
  buf.writeUInt32BE(Math.floor(value / UINT32_SPAN), offset);
  buf.writeUInt32BE(value >>> 0, offset + 4);
}

function readUint64(buf: Buffer, offset: number): number {
  return buf.readUInt32BE(offset) * UINT32_SPAN + buf.readUInt32BE(offset + 4);
}

export function revisionBytes(main: number, sub: number, tombstone = false): Buffer {
  const buf = Buffer.allocUnsafe(tombstone ? TOMBSTONE_REVISION_BYTES : REVISION_BYTES);
  writeRevisionBytes(buf, main, sub);
  if (tombstone) buf[17] = TOMBSTONE_MARK_BYTE;
  return buf;
}

/** Writes a live revision's REVISION_BYTES into `buf` (a reused lookup key needs no allocation). */
export function writeRevisionBytes(buf: Buffer, main: number, sub: number): void {
  writeUint64(buf, main, 0);
  buf[8] = SEPARATOR_BYTE;
  writeUint64(buf, sub, 9);
}

export function parseRevisionMain(bytes: Buffer): number {
  return readUint64(bytes, 0);
}

export function parseRevisionSub(bytes: Buffer): number {
  return readUint64(bytes, 9);
}

export function isTombstoneKey(bytes: Buffer): boolean {
  return bytes.length === TOMBSTONE_REVISION_BYTES && bytes[17] === TOMBSTONE_MARK_BYTE;
}

/** A compact Set/Map key for a revision. */
export function revisionId(main: number, sub: number): string {
  return `${main}.${sub}`;
}
