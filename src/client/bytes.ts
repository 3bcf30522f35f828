// Conversions between what users pass (strings, buffers, numbers) and etcd's bytes
// and revisions, and the range-end arithmetic etcd uses for prefixes.

/** A key or value: strings are UTF-8. */
export type Bytes = string | Buffer | Uint8Array;

export function toBuffer(value: Bytes): Buffer {
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (Buffer.isBuffer(value)) return value;
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** Revisions, lease ids and counts are int64 on the wire. */
export type Int64 = bigint | number;

export function toBigInt(value: Int64): bigint {
  return typeof value === 'bigint' ? value : BigInt(value);
}

/**
 * The range end that selects every key starting with `prefix`: the prefix with its last
 * byte below 0xff incremented. An all-0xff (or empty) prefix selects to the end ("\0").
 */
export function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

/** etcd's "from key": range_end "\0" means every key >= key. */
export const FROM_KEY_RANGE_END: Buffer = Buffer.from([0]);
