// A backend held in memory, for the embedded test server and unit tests. It
// batches like the disk backend, so a test can drop uncommitted writes with
// committedCopy() to see what a crash would have kept.
import type { BackendEntry, BackendOptions, BucketName, InPlaceReader } from './backend.js';
import { BatchingBackend, type CommittedStore, type WriteBatch } from './batching-backend.js';
import { OrderedMap } from './ordered-map.js';

/** Per-entry bookkeeping bytes counted by sizeBytes(), roughly a B+tree slot. */
const ENTRY_OVERHEAD_BYTES = 16;

class MemoryStore implements CommittedStore {
  readonly buckets = new Map<BucketName, OrderedMap<BackendEntry>>();
  private bytes = 0;

  get(bucket: BucketName, key: Buffer): Buffer | undefined {
    return this.buckets.get(bucket)?.get(key.toString('latin1'))?.value;
  }

  readInPlace(bucket: BucketName, key: Buffer, read: InPlaceReader): boolean {
    const value = this.get(bucket, key);
    if (value === undefined) return false;
    read(value, value.length);
    return true;
  }

  *scan(bucket: BucketName, start: Buffer, end: Buffer | undefined): Iterable<BackendEntry> {
    const map = this.buckets.get(bucket);
    if (map === undefined) return;
    for (const [, e] of map.range(start.toString('latin1'), end?.toString('latin1'))) yield e;
  }

  apply(batch: WriteBatch): Promise<number> {
    const startedMs = performance.now();
    for (const [bucket, writes] of batch) {
      let map = this.buckets.get(bucket);
      if (map === undefined) {
        map = new OrderedMap<BackendEntry>();
        this.buckets.set(bucket, map);
      }
      for (const [k, w] of writes.range('')) {
        const old = map.get(k);
        if (old !== undefined) this.bytes -= entryBytes(old);
        if (w.value === null) {
          map.delete(k);
        } else {
          const e = { key: w.key, value: w.value };
          map.set(k, e);
          this.bytes += entryBytes(e);
        }
      }
    }
    return Promise.resolve((performance.now() - startedMs) / 1000);
  }

  sizeBytes(): number {
    return this.bytes;
  }

  sizeInUseBytes(): number {
    return this.bytes;
  }

  async copyTo(path: string, _compact: boolean): Promise<void> {
    // Written as an lmdb file so a snapshot of the embedded server restores like
    // one taken from a server on disk.
    const { LmdbBackend } = await import('./lmdb-backend.js');
    const target = LmdbBackend.open(path);
    try {
      for (const [bucket, map] of this.buckets) {
        for (const [, e] of map.range('')) target.put(bucket, e.key, e.value);
      }
    } finally {
      await target.close();
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  clone(): MemoryStore {
    const copy = new MemoryStore();
    for (const [bucket, map] of this.buckets) {
      const m = new OrderedMap<BackendEntry>();
      for (const [k, e] of map.range('')) m.set(k, e);
      copy.buckets.set(bucket, m);
    }
    copy.bytes = this.bytes;
    return copy;
  }
}

function entryBytes(e: BackendEntry): number {
  return e.key.length + e.value.length + ENTRY_OVERHEAD_BYTES;
}

export class MemoryBackend extends BatchingBackend {
  private readonly memory: MemoryStore;

  private constructor(memory: MemoryStore, options: BackendOptions) {
    super(memory, options);
    this.memory = memory;
  }

  static open(options: BackendOptions = {}): MemoryBackend {
    return new MemoryBackend(new MemoryStore(), options);
  }

  /** A new backend holding only what has been committed: what survives a crash now. */
  committedCopy(options: BackendOptions = {}): MemoryBackend {
    return new MemoryBackend(this.memory.clone(), options);
  }
}
