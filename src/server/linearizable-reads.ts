// Linearizable reads, batched: every read that arrives while no ReadIndex round
// is in flight joins the next round; one round confirms leadership for all of
// them, then each waits for the apply loop to reach the confirmed index.
import { EtcdError } from '../errors/etcd-error.js';
import type { AppliedIndex } from './applied-index.js';

/** How long a read waits for its ReadIndex round before "request timed out". */
export const READ_INDEX_TIMEOUT_MS = 7000;
/** A ReadIndex request can be dropped (no leader yet, a message lost); ask again this often, as etcd does. */
export const READ_INDEX_RETRY_MS = 500;
/** Reads waiting for the next round at most. */
export const MAX_PENDING_READS = 100_000;

export interface ReadIndexSource {
  /** Starts a ReadIndex round; the answer arrives through onReadState with the same context. */
  requestReadIndex(context: Uint8Array): void;
}

interface Round {
  readonly readers: Array<{ resolve(): void; reject(error: Error): void }>;
  readonly timer: NodeJS.Timeout;
  readonly retry: NodeJS.Timeout;
  readonly context: Uint8Array;
}

export class LinearizableReads {
  private pending: Array<{ resolve(): void; reject(error: Error): void }> = [];
  private readonly inFlight = new Map<string, Round>();
  private nextContext = 1n;

  constructor(
    private readonly source: ReadIndexSource,
    private readonly applied: AppliedIndex,
  ) {}

  /** Resolves once the local state reflects every write acknowledged before the call. */
  wait(): Promise<void> {
    if (this.pending.length >= MAX_PENDING_READS) return Promise.reject(new EtcdError('TooManyRequests'));
    const promise = new Promise<void>((resolve, reject) => this.pending.push({ resolve, reject }));
    if (this.inFlight.size === 0) this.startRound();
    return promise;
  }

  onReadState(index: number, context: Uint8Array): void {
    const key = Buffer.from(context).toString('hex');
    const round = this.inFlight.get(key);
    if (round === undefined) return;
    this.inFlight.delete(key);
    clearTimeout(round.timer);
    clearInterval(round.retry);
    this.applied.waitFor(index).then(
      () => round.readers.forEach((reader) => reader.resolve()),
      (error: Error) => round.readers.forEach((reader) => reader.reject(error)),
    );
    if (this.pending.length > 0) this.startRound();
  }

  /** Asks again at once for every round in flight (a new leader can answer them now). */
  retryNow(): void {
    for (const round of this.inFlight.values()) this.source.requestReadIndex(round.context);
  }

  failAll(error: Error): void {
    for (const round of this.inFlight.values()) {
      clearTimeout(round.timer);
      clearInterval(round.retry);
      round.readers.forEach((reader) => reader.reject(error));
    }
    this.inFlight.clear();
    const pending = this.pending;
    this.pending = [];
    pending.forEach((reader) => reader.reject(error));
  }

  private startRound(): void {
    const readers = this.pending;
    this.pending = [];
    const context = Buffer.alloc(8);
    context.writeBigUInt64BE(this.nextContext++);
    const key = context.toString('hex');
    const retry = setInterval(() => this.source.requestReadIndex(context), READ_INDEX_RETRY_MS);
    const timer = setTimeout(() => {
      clearInterval(retry);
      this.inFlight.delete(key);
      readers.forEach((reader) => reader.reject(new EtcdError('Timeout')));
      if (this.pending.length > 0) this.startRound();
    }, READ_INDEX_TIMEOUT_MS);
    this.inFlight.set(key, { readers, timer, retry, context });
    this.source.requestReadIndex(context);
  }
}
