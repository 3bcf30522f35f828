// The storage contract under the MVCC store, leases, auth and membership: named
// buckets of ordered byte keys, written in batches that commit atomically.

/** etcd's bucket names, so a converter from an etcd (bbolt) snapshot maps 1:1. */
export const BUCKET_NAMES = [
  'key',
  'meta',
  'lease',
  'alarm',
  'members',
  'members_removed',
  'cluster',
  'auth',
  'authUsers',
  'authRoles',
] as const;

export type BucketName = (typeof BUCKET_NAMES)[number];

/** etcd's --backend-batch-limit: pending writes that force a commit. */
export const BACKEND_BATCH_WRITES_DEFAULT = 10_000;
/** etcd's --backend-batch-interval: the longest a write stays pending. */
export const BACKEND_BATCH_INTERVAL_MS_DEFAULT = 100;

export interface BackendOptions {
  readonly batchWritesMax?: number;
  readonly batchIntervalMs?: number;
}

/**
 * Reads a value where the backend holds it: `value`'s first `valueBytes` bytes,
 * valid only during the call (the next read may overwrite them). A reader must
 * not read the backend again before it returns.
 */
export type InPlaceReader = (value: Uint8Array, valueBytes: number) => void;

export interface BackendEntry {
  readonly key: Buffer;
  readonly value: Buffer;
}

/**
 * Reads (get, range) always see pending writes, so callers never observe the
 * batching. A batch commits as a whole: after a crash either all of it is on
 * disk or none of it is.
 */
export interface Backend {
  get(bucket: BucketName, key: Buffer): Buffer | undefined;
  /**
   * Hands `key`'s value to `read` without copying it out (see InPlaceReader);
   * false, without calling `read`, if the key is absent.
   */
  readInPlace(bucket: BucketName, key: Buffer, read: InPlaceReader): boolean;
  put(bucket: BucketName, key: Buffer, value: Buffer): void;
  delete(bucket: BucketName, key: Buffer): void;
  /**
   * Entries with start <= key < end in ascending byte order, at most `limit`
   * (0: no limit). An empty `start` is the beginning of the bucket; `end`
   * undefined: no upper bound.
   */
  range(bucket: BucketName, start: Buffer, end: Buffer | undefined, limit: number): BackendEntry[];
  /** Number of writes waiting for the next commit. */
  readonly pendingWrites: number;
  /** Commits every write made so far; resolves once they are durable. */
  commit(): Promise<void>;
  /** Size of the database file in bytes (what etcd reports as dbSize). */
  sizeBytes(): number;
  /** Bytes holding live data (etcd's dbSizeInUse). */
  sizeInUseBytes(): number;
  /** Commits, then writes a consistent copy of the committed database to `path`. */
  copyTo(path: string, compact: boolean): Promise<void>;
  /** Commits pending writes and releases the storage; safe to call twice. */
  close(): Promise<void>;
}
