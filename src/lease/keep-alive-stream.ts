// One LeaseKeepAlive bidi stream: requests are renewed one at a time in arrival
// order, each answered with the lease's new TTL (0 once the lease is gone, as etcd).
// A client that sends faster than renewals complete is paused, so the queue is bounded.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { isEtcdError } from '../errors/etcd-error.js';
import type { LeaseKeepAliveRequest, LeaseKeepAliveResponse, ResponseHeader } from '../generated/etcdserverpb/rpc.js';

/** Requests held before the stream stops reading from the client. */
const KEEP_ALIVE_QUEUE_MAX = 128;

/** What the stream needs from the server. */
export interface KeepAliveTarget {
  header(): ResponseHeader;
  /** The lease's full TTL after renewal; throws EtcdError (LeaseNotFound, NotLeader, ...). */
  renew(id: bigint): Promise<number>;
}

export type KeepAliveCall = ServerDuplexStream<unknown, LeaseKeepAliveResponse>;

export class KeepAliveStream {
  private readonly queue: bigint[] = [];
  private running = false;
  private paused = false;
  private ended = false;
  private done = false;

  constructor(
    private readonly call: KeepAliveCall,
    private readonly target: KeepAliveTarget,
    private readonly fail: (error: unknown) => void,
  ) {
    call.on('end', () => {
      this.ended = true;
      this.maybeFinish();
    });
    for (const event of ['cancelled', 'close', 'error']) call.on(event, () => (this.done = true));
  }

  /** Takes one decoded request from the client. */
  push(request: LeaseKeepAliveRequest): void {
    if (this.done) return;
    this.queue.push(request.ID);
    if (this.queue.length >= KEEP_ALIVE_QUEUE_MAX && !this.paused) {
      this.paused = true;
      this.call.pause();
    }
    if (!this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    try {
      for (let id = this.queue.shift(); id !== undefined && !this.done; id = this.queue.shift()) {
        if (this.paused && this.queue.length < KEEP_ALIVE_QUEUE_MAX / 2) {
          this.paused = false;
          this.call.resume();
        }
        await this.answer(id);
      }
    } catch (error) {
      this.done = true;
      this.fail(error);
      return;
    } finally {
      this.running = false;
    }
    this.maybeFinish();
  }

  private async answer(id: bigint): Promise<void> {
    // The header is taken before renewing, so it never shows a revision after a revocation the renewal missed.
    const header = this.target.header();
    let ttl: number;
    try {
      ttl = await this.target.renew(id);
    } catch (error) {
      if (!isEtcdError(error) || error.code !== 'LeaseNotFound') throw error;
      ttl = 0;
    }
    if (this.done) return;
    const response: LeaseKeepAliveResponse = { header, ID: id, TTL: BigInt(ttl) };
    if (!this.call.write(response)) await new Promise<void>((resolve) => this.call.once('drain', () => resolve()));
  }

  private maybeFinish(): void {
    if (!this.ended || this.running || this.done || this.queue.length > 0) return;
    this.done = true;
    this.call.end();
  }
}
