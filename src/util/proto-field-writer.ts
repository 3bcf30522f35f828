// Protobuf wire encoding for the few messages every write encodes (the stored
// KeyValue, the put's log entry): sizes are computed first, then the fields are
// written into one buffer from Node's pool. The generated encoders go through a
// growable writer that allocates chunks and a fresh ArrayBuffer per message,
// which cost a put about as much as the rest of its encoding. The bytes are the
// generated encoders' bytes exactly (the same field order, proto3 defaults skipped);
// a test compares the two on random messages.

/** Wire types in a field's tag. */
export const WIRE_VARINT = 0;
export const WIRE_LENGTH_DELIMITED = 2;

const TWO_POW_53 = 2n ** 53n;
const TWO_POW_56 = 2n ** 56n;
const TWO_POW_63 = 2n ** 63n;
const LOW_32_BITS = 0xffff_ffffn;

/** Bytes of `value` (an unsigned 32-bit number) as a varint. */
export function varintBytes(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** An int64/uint64 field's value as the unsigned 64-bit integer its varint carries. */
function unsigned64(value: bigint): bigint {
  return value < 0n ? BigInt.asUintN(64, value) : value;
}

/** Bytes of a 64-bit field value as a varint (negative int64 values take 10). */
export function varint64Bytes(value: bigint): number {
  const v = unsigned64(value);
  if (v < TWO_POW_53) {
    let n = Number(v);
    let bytes = 1;
    // At most 8 rounds: n < 2^53.
    while (n >= 0x80) {
      n = Math.floor(n / 128);
      bytes++;
    }
    return bytes;
  }
  // Past 2^53 (request and lease IDs, which are random 63- and 64-bit numbers) the
  // length comes from comparisons: BigInt arithmetic would allocate a BigInt per step.
  if (v < TWO_POW_56) return 8;
  return v < TWO_POW_63 ? 9 : 10;
}

/** Writes `value` (an unsigned 32-bit number) as a varint at `at`; returns the next offset. */
export function writeVarint(target: Uint8Array, at: number, value: number): number {
  let n = value >>> 0;
  let i = at;
  // At most 5 rounds for a 32-bit value.
  while (n >= 0x80) {
    target[i++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  target[i++] = n;
  return i;
}

/** Writes a 64-bit field value as a varint at `at`; returns the next offset. */
export function writeVarint64(target: Uint8Array, at: number, value: bigint): number {
  const v = unsigned64(value);
  let i = at;
  if (v < TWO_POW_53) {
    let n = Number(v);
    // At most 8 rounds: n < 2^53.
    while (n >= 0x80) {
      target[i++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    target[i++] = n;
    return i;
  }
  // Two 32-bit halves as numbers, so only the split allocates BigInts.
  let low = Number(v & LOW_32_BITS);
  let high = Number(v >> 32n);
  // At most 5 rounds while high bits remain: high < 2^32 loses 7 bits a round.
  while (high > 0) {
    target[i++] = (low & 0x7f) | 0x80;
    low = ((low >>> 7) | (high << 25)) >>> 0;
    high >>>= 7;
  }
  // At most 5 rounds: low < 2^32.
  while (low >= 0x80) {
    target[i++] = (low & 0x7f) | 0x80;
    low >>>= 7;
  }
  target[i++] = low;
  return i;
}

/** A field's tag: its number and wire type (one varint byte for fields 1-15, two up to 2047). */
export function tag(field: number, wireType: number): number {
  return (field << 3) | wireType;
}

/** Bytes a length-delimited field takes, tag included (`tagBytes` for its field number). */
export function delimitedFieldBytes(tagBytes: number, length: number): number {
  return tagBytes + varintBytes(length) + length;
}

/** Writes a length-delimited field (bytes, string or message) at `at`; returns the next offset. */
export function writeDelimited(target: Uint8Array, at: number, fieldTag: number, body: Uint8Array): number {
  const i = writeVarint(target, writeVarint(target, at, fieldTag), body.length);
  target.set(body, i);
  return i + body.length;
}

/** Writes a 64-bit varint field (int64/uint64) at `at`; returns the next offset. */
export function writeVarint64Field(target: Uint8Array, at: number, fieldTag: number, value: bigint): number {
  return writeVarint64(target, writeVarint(target, at, fieldTag), value);
}

/** Writes a bool field set to true (proto3 skips false) at `at`; returns the next offset. */
export function writeTrueField(target: Uint8Array, at: number, fieldTag: number): number {
  return writeVarint(target, writeVarint(target, at, fieldTag), 1);
}
