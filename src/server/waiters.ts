// Proposals waiting for their entries to be applied. Every waiter is released
// exactly once: by its result, by a timeout, or when the server stops.
import { EtcdError } from '../errors/etcd-error.js';

export type ApplyOutcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: Error };

interface Pending {
  resolve(outcome: ApplyOutcome): void;
  timer: NodeJS.Timeout;
}

export class Waiters {
  private readonly pending = new Map<bigint, Pending>();

  constructor(private readonly timeoutMs: number) {}

  get size(): number {
    return this.pending.size;
  }

  register(id: bigint): Promise<ApplyOutcome> {
    return new Promise<ApplyOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, error: new EtcdError('Timeout') });
      }, this.timeoutMs);
      this.pending.set(id, { resolve, timer });
    });
  }

  trigger(id: bigint, outcome: ApplyOutcome): void {
    const waiter = this.pending.get(id);
    if (waiter === undefined) return;
    this.pending.delete(id);
    clearTimeout(waiter.timer);
    waiter.resolve(outcome);
  }

  /** Releases everyone with the same error (server stopping, leadership lost). */
  failAll(error: Error): void {
    for (const [id, waiter] of this.pending) {
      clearTimeout(waiter.timer);
      waiter.resolve({ ok: false, error });
      this.pending.delete(id);
    }
  }
}
