// How a streamed bbolt file reads a bucket: entries in key order, each key and value
// handed over in the reader's own buffer (valid only during the call), so sizing
// copies nothing and building a page copies each byte once, straight into the page.

/** Takes bytes start..end of `source` (a key); returns what the visitor gets as the key. */
export type KeyTaker = (source: Uint8Array, start: number, end: number) => number;
/** Takes the first `bytes` bytes of `source` (a value); returns what the visitor gets as the value. */
export type ValueTaker = (source: Uint8Array, bytes: number) => number;

export interface InPlaceBucket {
  /**
   * From the first key at or after `from` (undefined: the first key), hands each key and
   * value to the takers and then calls `visitor`, until it returns false or the bucket ends.
   * Each pass over the bucket starts at undefined and then continues at leaf boundaries.
   */
  visit(from: Buffer | undefined, takeKey: KeyTaker, takeValue: ValueTaker, visitor: (key: number, value: number) => boolean): void;
}

/**
 * A bucket given as key/value pairs (read once per pass). Continuing at `from`
 * continues where the last visit stopped: the writer only ever resumes at the entry
 * right after, and checks that each page starts at the key it planned.
 */
export function inPlaceOf(entries: () => Iterable<readonly [Buffer, Buffer]>): InPlaceBucket {
  let cursor: Iterator<readonly [Buffer, Buffer]> | undefined;
  return {
    visit(from, takeKey, takeValue, visitor) {
      if (from === undefined || cursor === undefined) cursor = entries()[Symbol.iterator]();
      // Each step consumes one entry of a finite source, so this ends with the bucket.
      for (let next = cursor.next(); next.done !== true; next = cursor.next()) {
        const [key, value] = next.value;
        if (!visitor(takeKey(key, 0, key.length), takeValue(value, value.length))) return;
      }
      cursor = undefined;
    },
  };
}
