// Reads only what the key index needs from a stored mvccpb.KeyValue (key, create
// revision, version, lease), straight from the record's bytes: rebuilding the
// index of a million keys then allocates no value copies and no message objects.

export interface IndexRecord {
  /** The key as a 'latin1' string (the index's key form). */
  key: string;
  createRevision: number;
  version: number;
  /** 0n: no lease. */
  lease: bigint;
}

export class IndexRecordError extends Error {
  override readonly name = 'IndexRecordError';
}

const KEY_FIELD = 1;
const CREATE_REVISION_FIELD = 2;
const VERSION_FIELD = 4;
const LEASE_FIELD = 6;
const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_BYTES = 2;
const WIRE_FIXED32 = 5;
/** A varint of a 64-bit value has at most 10 bytes. */
const VARINT_BYTES_MAX = 10;
const UINT32_SPAN = 2 ** 32;

/** Decodes the first `length` bytes of `bytes` into `out` (reused by the caller) and returns it. */
export function readIndexRecord(bytes: Uint8Array, length: number, out: IndexRecord): IndexRecord {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const cursor = { at: 0 };
  out.key = '';
  out.createRevision = 0;
  out.version = 0;
  out.lease = 0n;
  // Every field moves the cursor forward by at least one byte, so the loop ends.
  while (cursor.at < length) {
    const tag = readVarintNumber(buf, length, cursor);
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (wire === WIRE_BYTES) {
      const size = readVarintNumber(buf, length, cursor);
      const end = cursor.at + size;
      if (end > length) throw new IndexRecordError(`field ${field} runs past the record's ${length} bytes`);
      if (field === KEY_FIELD) out.key = buf.toString('latin1', cursor.at, end);
      cursor.at = end;
    } else if (wire === WIRE_VARINT) {
      if (field === LEASE_FIELD) out.lease = readVarintBigint(buf, length, cursor);
      else {
        const value = readVarintNumber(buf, length, cursor);
        if (field === CREATE_REVISION_FIELD) out.createRevision = value;
        else if (field === VERSION_FIELD) out.version = value;
      }
    } else if (wire === WIRE_FIXED64 || wire === WIRE_FIXED32) {
      cursor.at += wire === WIRE_FIXED64 ? 8 : 4;
      if (cursor.at > length) throw new IndexRecordError(`field ${field} runs past the record's ${length} bytes`);
    } else {
      throw new IndexRecordError(`field ${field} has wire type ${wire}`);
    }
  }
  return out;
}

/** A varint as a number: exact below 2^53, which revisions and versions are. */
function readVarintNumber(buf: Buffer, length: number, cursor: { at: number }): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < VARINT_BYTES_MAX; i++) {
    if (cursor.at >= length) throw new IndexRecordError('varint runs past the end of the record');
    const byte = buf[cursor.at++] as number;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 128;
  }
  throw new IndexRecordError('varint longer than 10 bytes');
}

/** A lease id: an int64, kept exact (two's complement for negative values, as protobuf writes them). */
function readVarintBigint(buf: Buffer, length: number, cursor: { at: number }): bigint {
  let low = 0;
  let high = 0;
  for (let i = 0; i < VARINT_BYTES_MAX; i++) {
    if (cursor.at >= length) throw new IndexRecordError('varint runs past the end of the record');
    const byte = buf[cursor.at++] as number;
    const bits = 7 * i;
    // Bits 0..27 land in `low` directly; the rest are split across the 32-bit halves.
    if (bits < 28) low += (byte & 0x7f) * 2 ** bits;
    else if (bits === 28) {
      low += (byte & 0x0f) * 2 ** 28;
      high += (byte & 0x70) >> 4;
    } else high += (byte & 0x7f) * 2 ** (bits - 32);
    if (byte < 0x80) return BigInt.asIntN(64, (BigInt(high % UINT32_SPAN) << 32n) | BigInt(low));
  }
  throw new IndexRecordError('varint longer than 10 bytes');
}
