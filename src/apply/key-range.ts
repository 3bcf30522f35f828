// Key-range arithmetic shared by the applier: which keys a (key, rangeEnd) pair
// covers, in the one convention the MVCC views and etcd's requests use.

/** A rangeEnd of a single zero byte means "every key >= key". */
export function isFromKey(rangeEnd: Buffer): boolean {
  return rangeEnd.length === 1 && rangeEnd[0] === 0;
}

/**
 * Whether `candidate` lies in the range: empty rangeEnd is the single key, [0x00]
 * is every key >= key, otherwise the half-open [key, rangeEnd).
 */
export function keyInRange(candidate: Buffer, key: Buffer, rangeEnd: Buffer): boolean {
  if (rangeEnd.length === 0) return candidate.equals(key);
  if (Buffer.compare(candidate, key) < 0) return false;
  if (isFromKey(rangeEnd)) return true;
  return Buffer.compare(candidate, rangeEnd) < 0;
}

/** Three-way comparison of two int64 values, as -1, 0 or 1. */
export function compareBigints(a: bigint, b: bigint): number {
  if (a < b) return -1;
  if (a > b) return 1;
  return 0;
}
