// Walking or emptying a whole bucket in bounded slices, so no caller holds a large
// bucket in memory at once and each can yield or commit between slices.
import type { Backend, BackendEntry, BucketName } from './backend.js';

/** Entries read per slice unless a caller says otherwise. */
export const BUCKET_SLICE_ENTRIES = 10_000;

/** Every entry of `bucket` in key order, a slice at a time (the bucket must not change meanwhile). */
export function* bucketSlices(backend: Backend, bucket: BucketName, sliceEntries = BUCKET_SLICE_ENTRIES): Generator<BackendEntry[]> {
  let start = Buffer.alloc(0);
  for (;;) {
    const slice = backend.range(bucket, start, undefined, sliceEntries);
    if (slice.length > 0) yield slice;
    const last = slice[slice.length - 1];
    if (last === undefined || slice.length < sliceEntries) return;
    // The smallest key after `last`.
    start = Buffer.concat([last.key, Buffer.from([0])]);
  }
}

/** Deletes every entry of `bucket`, committing between slices. */
export async function clearBucket(backend: Backend, bucket: BucketName, sliceEntries = BUCKET_SLICE_ENTRIES): Promise<void> {
  for (;;) {
    // Deletes are pending writes that reads already see, so each slice starts over.
    const slice = backend.range(bucket, Buffer.alloc(0), undefined, sliceEntries);
    for (const entry of slice) backend.delete(bucket, entry.key);
    if (slice.length < sliceEntries) return;
    await backend.commit();
  }
}
