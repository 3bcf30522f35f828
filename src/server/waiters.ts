// Proposals waiting for their entries to be applied. Every waiter is released
// exactly once: by its result, by a timeout, or when the server stops. Every
// waiter gets the same timeout, so they expire in the order they registered: one
// timer, set for the oldest, serves them all (a timer per proposal was a
// measurable share of each write's allocations and timer-list work).
import { EtcdError } from '../errors/etcd-error.js';

export type ApplyOutcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: Error };

interface Pending {
  resolve(outcome: ApplyOutcome): void;
  /** performance.now() after which it fails with "request timed out". */
  readonly deadlineMs: number;
}

export class Waiters {
  /** In registration order, which is also deadline order. */
  private readonly pending = new Map<bigint, Pending>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly timeoutMs: number) {}

  get size(): number {
    return this.pending.size;
  }

  register(id: bigint): Promise<ApplyOutcome> {
    return new Promise<ApplyOutcome>((resolve) => {
      this.pending.set(id, { resolve, deadlineMs: performance.now() + this.timeoutMs });
      if (this.timer === null) this.arm(this.timeoutMs);
    });
  }

  /** The timer is left alone: when it fires it moves on to whoever is oldest then. */
  trigger(id: bigint, outcome: ApplyOutcome): void {
    const waiter = this.pending.get(id);
    if (waiter === undefined) return;
    this.pending.delete(id);
    waiter.resolve(outcome);
  }

  /** Releases everyone with the same error (server stopping, leadership lost). */
  failAll(error: Error): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const [id, waiter] of this.pending) {
      this.pending.delete(id);
      waiter.resolve({ ok: false, error });
    }
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => this.expire(), delayMs);
  }

  /** Times out every waiter past its deadline, oldest first, and waits for the next one. */
  private expire(): void {
    this.timer = null;
    const now = performance.now();
    for (const [id, waiter] of this.pending) {
      if (waiter.deadlineMs > now) {
        this.arm(waiter.deadlineMs - now);
        return;
      }
      this.pending.delete(id);
      waiter.resolve({ ok: false, error: new EtcdError('Timeout') });
    }
  }
}
