// Tracks the apply loop's progress and lets readers wait until it reaches an
// index (linearizable reads wait for the read index to be applied).
import { EtcdError } from '../errors/etcd-error.js';

interface IndexWaiter {
  readonly index: number;
  resolve(): void;
  reject(error: Error): void;
}

/** Waiting readers at most; beyond this, new ones get "too many requests". */
export const MAX_APPLIED_INDEX_WAITERS = 100_000;

export class AppliedIndex {
  private appliedIndex = 0;
  private waiters: IndexWaiter[] = [];

  get value(): number {
    return this.appliedIndex;
  }

  advanceTo(index: number): void {
    if (index <= this.appliedIndex) return;
    this.appliedIndex = index;
    if (this.waiters.length === 0) return;
    const still: IndexWaiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.index <= index) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }

  waitFor(index: number): Promise<void> {
    if (index <= this.appliedIndex) return Promise.resolve();
    if (this.waiters.length >= MAX_APPLIED_INDEX_WAITERS) return Promise.reject(new EtcdError('TooManyRequests'));
    return new Promise<void>((resolve, reject) => this.waiters.push({ index, resolve, reject }));
  }

  failAll(error: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}
