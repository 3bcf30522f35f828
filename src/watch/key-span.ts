// A watcher's key range in etcd's convention, as latin1 strings so that string
// order is byte order: one key, [from, to), or every key from `from` on.

export interface KeySpan {
  readonly from: string;
  /** Exclusive end; null means unbounded. Ignored when `single`. */
  readonly to: string | null;
  readonly single: boolean;
}

/**
 * etcd's reading of a watch request's key fields: an empty key is "\0" (the
 * smallest key), an empty range end is the single key, a range end of "\0" is
 * every key from `key` on. Returns null for an empty range (key >= end).
 */
export function keySpanOf(key: Buffer, rangeEnd: Buffer): KeySpan | null {
  const from = key.length === 0 ? '\0' : key.toString('latin1');
  if (rangeEnd.length === 0) return { from, to: null, single: true };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { from, to: null, single: false };
  const to = rangeEnd.toString('latin1');
  if (from >= to) return null;
  return { from, to, single: false };
}

export function spanContains(span: KeySpan, key: string): boolean {
  if (span.single) return key === span.from;
  return key >= span.from && (span.to === null || key < span.to);
}

/** The store's range arguments that cover the span. */
export function spanToStoreRange(span: KeySpan): { key: Buffer; rangeEnd: Buffer } {
  const key = Buffer.from(span.from, 'latin1');
  if (span.single) return { key, rangeEnd: Buffer.alloc(0) };
  return { key, rangeEnd: span.to === null ? Buffer.from([0]) : Buffer.from(span.to, 'latin1') };
}
