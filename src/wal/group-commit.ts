// Group commit: saves that arrive while a write+fsync is in flight wait and are
// all written by the next single write+fsync. Each save's promise settles after
// the fsync that covers it. The queue is bounded; past the bound callers wait.
// A batch whose every save was submitted as `inline` is handed to the writer as one
// it may write on the calling thread (see SegmentWriter.writeBatch).
import { WalError } from './wal-errors.js';

export interface GroupCommitLimits {
  /** Items waiting for the next write before callers are made to wait. */
  readonly maxQueuedItems: number;
  readonly maxQueuedBytes: number;
  /** One write carries at most this much (but always at least one item). */
  readonly maxBatchBytes: number;
  /** Callers waiting for room; beyond this a save is refused (a runaway caller is a bug upstream). */
  readonly maxBlockedItems: number;
}

/** Writes and syncs a batch; the queue never calls it twice at once. */
export type BatchWriter<Item> = (items: readonly Item[], inline: boolean) => Promise<void>;

interface Waiter<Item> {
  readonly item: Item;
  readonly bytes: number;
  readonly inline: boolean;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class GroupCommitQueue<Item> {
  private readonly queued: Waiter<Item>[] = [];
  private readonly blocked: Waiter<Item>[] = [];
  private queuedBytes = 0;
  private writing: Promise<void> | null = null;
  private failure: unknown = null;

  constructor(
    private readonly writeBatch: BatchWriter<Item>,
    private readonly limits: GroupCommitLimits,
  ) {}

  /** `inline`: the caller has nothing else for the event loop to do while this is written. */
  submit(item: Item, bytes: number, inline = false): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter<Item> = { item, bytes, inline, resolve, reject };
      if (this.blocked.length === 0 && this.hasRoom()) {
        this.enqueue(waiter);
      } else if (this.blocked.length < this.limits.maxBlockedItems) {
        this.blocked.push(waiter);
      } else {
        reject(new WalError('WalFailed', `wal: more than ${this.limits.maxBlockedItems} saves waiting for room`));
        return;
      }
      this.writing ??= this.writeLoop();
    });
  }

  /** Settles once everything submitted so far is written (or has failed). */
  async drain(): Promise<void> {
    // Each turn finishes one write loop; a loop only restarts if new items arrive.
    while (this.writing !== null) await this.writing;
  }

  /** After a failed write nothing more may be written: fsync errors are not retryable. */
  get failed(): unknown {
    return this.failure;
  }

  private hasRoom(): boolean {
    return this.queued.length < this.limits.maxQueuedItems && this.queuedBytes < this.limits.maxQueuedBytes;
  }

  private enqueue(waiter: Waiter<Item>): void {
    this.queued.push(waiter);
    this.queuedBytes += waiter.bytes;
  }

  private async writeLoop(): Promise<void> {
    // Yield once so `writing` is assigned before this loop can finish and clear it.
    await null;
    try {
      // Each pass writes at least one item, and callers are bounded, so the loop ends.
      while (this.queued.length > 0) {
        const batch = this.takeBatch();
        this.admitBlocked();
        try {
          await this.writeBatch(batch.map((w) => w.item), batch.every((w) => w.inline));
        } catch (error) {
          this.fail(error, batch);
          return;
        }
        for (const waiter of batch) waiter.resolve();
      }
    } finally {
      this.writing = null;
    }
  }

  private takeBatch(): Waiter<Item>[] {
    let count = 0;
    let bytes = 0;
    for (const waiter of this.queued) {
      if (count > 0 && bytes + waiter.bytes > this.limits.maxBatchBytes) break;
      count++;
      bytes += waiter.bytes;
    }
    this.queuedBytes -= bytes;
    return this.queued.splice(0, count);
  }

  private admitBlocked(): void {
    while (this.blocked.length > 0 && this.hasRoom()) {
      const waiter = this.blocked.shift();
      if (waiter !== undefined) this.enqueue(waiter);
    }
  }

  private fail(error: unknown, batch: readonly Waiter<Item>[]): void {
    this.failure = error;
    const everyone = [...batch, ...this.queued.splice(0), ...this.blocked.splice(0)];
    this.queuedBytes = 0;
    for (const waiter of everyone) waiter.reject(error);
  }
}
