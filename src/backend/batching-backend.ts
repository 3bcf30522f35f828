// Write batching shared by every backend: pending writes sit in an ordered
// overlay that reads see, and commit to the durable store as one atomic batch
// on a write count, on an interval, or on demand.
import { assert } from '../util/assert.js';
import {
  BACKEND_BATCH_INTERVAL_MS_DEFAULT,
  BACKEND_BATCH_WRITES_DEFAULT,
  type Backend,
  type BackendEntry,
  type BackendOptions,
  type BucketName,
  type InPlaceReader,
} from './backend.js';
import { OrderedMap } from './ordered-map.js';

/** A pending write; value null is a delete. */
export interface PendingWrite {
  readonly key: Buffer;
  readonly value: Buffer | null;
}

/** Pending writes by bucket, each ordered by key bytes ('latin1' strings). */
export type WriteBatch = Map<BucketName, OrderedMap<PendingWrite>>;

/** What a durable store must offer under the batching layer. */
export interface CommittedStore {
  get(bucket: BucketName, key: Buffer): Buffer | undefined;
  /** Backend.readInPlace on the committed entries. */
  readInPlace(bucket: BucketName, key: Buffer, read: InPlaceReader): boolean;
  /** Committed entries with start <= key < end, ascending; lazily produced. */
  scan(bucket: BucketName, start: Buffer, end: Buffer | undefined): Iterable<BackendEntry>;
  /**
   * Applies the whole batch atomically; resolves when durable, with the seconds the
   * commit itself took (from when its write transaction began: not the wait for it).
   */
  apply(batch: WriteBatch): Promise<number>;
  sizeBytes(): number;
  sizeInUseBytes(): number;
  copyTo(path: string, compact: boolean): Promise<void>;
  close(): Promise<void>;
}

/** etcd's backend commit histogram buckets: 1 ms doubling, 14 of them. */
export const COMMIT_BUCKET_UPPER_SECONDS: readonly number[] = Array.from({ length: 14 }, (_, i) => 0.001 * 2 ** i);

export interface BackendCommitStats {
  /** Commits at or under each bound (not cumulative); the last slot is +Inf. */
  readonly bucketCounts: readonly number[];
  readonly secondsTotal: number;
}

export class BatchingBackend implements Backend {
  private readonly commitBuckets: number[] = new Array<number>(COMMIT_BUCKET_UPPER_SECONDS.length + 1).fill(0);
  private commitSecondsTotal = 0;
  private pending: WriteBatch = new Map();
  private pendingCount = 0;
  /** The batch being committed: still visible to reads until it is durable. */
  private inflight: WriteBatch | null = null;
  private commitChain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private failure: unknown = null;
  private closing: Promise<void> | null = null;
  private readonly batchWritesMax: number;
  private readonly batchIntervalMs: number;

  constructor(
    protected readonly store: CommittedStore,
    options: BackendOptions = {},
  ) {
    this.batchWritesMax = options.batchWritesMax ?? BACKEND_BATCH_WRITES_DEFAULT;
    this.batchIntervalMs = options.batchIntervalMs ?? BACKEND_BATCH_INTERVAL_MS_DEFAULT;
    assert(this.batchWritesMax >= 1, 'batchWritesMax must be at least 1');
    assert(this.batchIntervalMs >= 1, 'batchIntervalMs must be at least 1');
  }

  get pendingWrites(): number {
    return this.pendingCount;
  }

  /** Writes pending or being committed: the durable store alone does not show them yet. */
  protected get hasUncommittedWrites(): boolean {
    return this.pendingCount > 0 || this.inflight !== null;
  }

  get(bucket: BucketName, key: Buffer): Buffer | undefined {
    const p = this.uncommittedWrite(bucket, key);
    if (p !== undefined) return p.value ?? undefined;
    return this.store.get(bucket, key);
  }

  readInPlace(bucket: BucketName, key: Buffer, read: InPlaceReader): boolean {
    const p = this.uncommittedWrite(bucket, key);
    if (p === undefined) return this.store.readInPlace(bucket, key, read);
    if (p.value === null) return false;
    read(p.value, p.value.length);
    return true;
  }

  /**
   * The newest pending or committing write of `key`, if any. Most reads find no
   * writes waiting in their bucket and skip converting the key to a string.
   */
  private uncommittedWrite(bucket: BucketName, key: Buffer): PendingWrite | undefined {
    const top = this.pending.get(bucket);
    const mid = this.inflight?.get(bucket);
    if ((top === undefined || top.size === 0) && (mid === undefined || mid.size === 0)) return undefined;
    const k = key.toString('latin1');
    return top?.get(k) ?? mid?.get(k);
  }

  put(bucket: BucketName, key: Buffer, value: Buffer): void {
    this.write(bucket, { key, value });
  }

  delete(bucket: BucketName, key: Buffer): void {
    this.write(bucket, { key, value: null });
  }

  range(bucket: BucketName, start: Buffer, end: Buffer | undefined, limit: number): BackendEntry[] {
    if (end !== undefined && Buffer.compare(start, end) >= 0) return [];
    const top = this.pending.get(bucket);
    const mid = this.inflight?.get(bucket);
    const committed = this.store.scan(bucket, start, end);
    const max = limit > 0 ? limit : Number.MAX_SAFE_INTEGER;
    if ((top === undefined || top.size === 0) && (mid === undefined || mid.size === 0)) {
      return takeCommitted(committed, max);
    }
    const from = start.toString('latin1');
    const to = end?.toString('latin1');
    return mergeLayers([top, mid], from, to, committed, max);
  }

  commit(): Promise<void> {
    // A failed commit is remembered in `failure`, so the chain itself may go on.
    const run = this.commitChain.then(() => this.flushPending());
    this.commitChain = run.catch(() => undefined);
    return run;
  }

  /**
   * Commits, then runs `fn` with no commit in flight and none starting until it
   * ends; writes meanwhile stay pending and readable.
   */
  protected exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.commitChain.then(() => this.flushPending()).then(fn);
    this.commitChain = run.catch(() => undefined);
    return run;
  }

  sizeBytes(): number {
    return this.store.sizeBytes();
  }

  sizeInUseBytes(): number {
    return this.store.sizeInUseBytes();
  }

  copyTo(path: string, compact: boolean): Promise<void> {
    return this.exclusive(() => this.store.copyTo(path, compact));
  }

  close(): Promise<void> {
    if (this.closing === null) {
      this.closing = (async () => {
        try {
          await this.commit();
        } finally {
          this.clearTimer();
          await this.store.close();
        }
      })();
    }
    return this.closing;
  }

  private write(bucket: BucketName, w: PendingWrite): void {
    assert(this.closing === null, 'backend write after close');
    let layer = this.pending.get(bucket);
    if (layer === undefined) {
      layer = new OrderedMap<PendingWrite>();
      this.pending.set(bucket, layer);
    }
    layer.set(w.key.toString('latin1'), w);
    this.pendingCount++;
    if (this.pendingCount >= this.batchWritesMax) {
      this.commitInBackground();
    } else if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.commitInBackground();
      }, this.batchIntervalMs);
    }
  }

  /** A failed background commit is kept and rethrown by the next commit(). */
  private commitInBackground(): void {
    this.commit().catch((error: unknown) => {
      this.failure ??= error;
    });
  }

  private async flushPending(): Promise<void> {
    if (this.failure !== null) throw this.failure;
    this.clearTimer();
    if (this.pendingCount === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    this.pendingCount = 0;
    this.inflight = batch;
    try {
      this.recordCommit(await this.store.apply(batch));
      this.inflight = null;
    } catch (error: unknown) {
      // The batch stays visible in `inflight`: memory and disk now disagree, so
      // every later commit fails rather than silently dropping it.
      this.failure = error;
      throw error;
    }
  }

  /** Commit latencies for etcd_disk_backend_commit_duration_seconds (etcd's buckets). */
  get commitStats(): BackendCommitStats {
    return { bucketCounts: this.commitBuckets, secondsTotal: this.commitSecondsTotal };
  }

  private recordCommit(seconds: number): void {
    this.commitSecondsTotal += seconds;
    let slot = COMMIT_BUCKET_UPPER_SECONDS.findIndex((upper) => seconds <= upper);
    if (slot === -1) slot = COMMIT_BUCKET_UPPER_SECONDS.length;
    this.commitBuckets[slot] = (this.commitBuckets[slot] ?? 0) + 1;
  }

  private clearTimer(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }
}

function takeCommitted(committed: Iterable<BackendEntry>, max: number): BackendEntry[] {
  const out: BackendEntry[] = [];
  if (max <= 0) return out;
  for (const e of committed) {
    out.push(e);
    if (out.length >= max) break;
  }
  return out;
}

/** One ascending source in a merge; `value` null is a delete. */
interface MergeHead {
  k: string | undefined;
  key: Buffer | undefined;
  value: Buffer | null;
  advance(): void;
}

function overlayHead(layer: OrderedMap<PendingWrite> | undefined, from: string, to: string | undefined): MergeHead {
  const it = layer === undefined ? undefined : layer.range(from, to);
  const head: MergeHead = {
    k: undefined,
    key: undefined,
    value: null,
    advance: () => {
      const r = it?.next();
      if (r === undefined || r.done === true) {
        head.k = undefined;
        return;
      }
      head.k = r.value[0];
      head.key = r.value[1].key;
      head.value = r.value[1].value;
    },
  };
  head.advance();
  return head;
}

function committedHead(it: Iterator<BackendEntry>): MergeHead {
  const head: MergeHead = {
    k: undefined,
    key: undefined,
    value: null,
    advance: () => {
      const r = it.next();
      if (r.done === true) {
        head.k = undefined;
        return;
      }
      head.k = r.value.key.toString('latin1');
      head.key = r.value.key;
      head.value = r.value.value;
    },
  };
  head.advance();
  return head;
}

/**
 * Merges overlays (newest first) over committed entries without copying
 * them; for a key in several sources the newest wins.
 */
function mergeLayers(
  layers: Array<OrderedMap<PendingWrite> | undefined>,
  from: string,
  to: string | undefined,
  committed: Iterable<BackendEntry>,
  max: number,
): BackendEntry[] {
  const it = committed[Symbol.iterator]();
  const out: BackendEntry[] = [];
  try {
    const heads = [...layers.map((l) => overlayHead(l, from, to)), committedHead(it)];
    // Every pass advances at least one source, so the loop ends with them.
    while (out.length < max) {
      let min: MergeHead | undefined;
      for (const h of heads) if (h.k !== undefined && (min === undefined || h.k < (min.k as string))) min = h;
      if (min === undefined) break;
      const k = min.k;
      if (min.value !== null) out.push({ key: min.key as Buffer, value: min.value });
      for (const h of heads) if (h.k === k) h.advance();
    }
  } finally {
    it.return?.();
  }
  return out;
}
