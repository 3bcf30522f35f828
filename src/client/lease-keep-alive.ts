// Keeps one lease alive over a keep-alive stream (reopened on failure) and reports its
// loss once: when the server says it is gone, or when no renewal landed within its TTL.
import { status as GrpcStatus, type ClientDuplexStream } from '@grpc/grpc-js';
import { LeaseService, type LeaseKeepAliveRequest, type LeaseKeepAliveResponse } from '../generated/etcdserverpb/rpc.js';
import { EtcdClientError, LeaseLostError } from './client-errors.js';
import { sleep, type RpcCaller } from './rpc-caller.js';

/** Renew at this fraction of the TTL, as Go's clientv3 does (a third). */
const RENEW_FRACTION = 3;
const RENEW_INTERVAL_MS_MIN = 100;
const RECONNECT_BACKOFF_MS = 200;

export class LeaseKeepAlive {
  readonly leaseId: bigint;
  /** Resolves (never rejects) with the reason once the lease is lost; never if closed first. */
  readonly lost: Promise<LeaseLostError>;
  /** Aborts when the lease is lost, for handing to calls that must stop with it. */
  readonly signal: AbortSignal;
  /** The TTL in seconds the server last granted. */
  ttlSeconds: bigint;
  private readonly controller = new AbortController();
  private resolveLost!: (error: LeaseLostError) => void;
  private call: ClientDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse> | undefined;
  private lastRenewMs = Date.now();
  private closed = false;
  private readonly stopped = new AbortController();
  private readonly loop: Promise<void>;

  constructor(
    private readonly rpc: RpcCaller,
    leaseId: bigint,
    ttlSeconds: bigint,
    onStop: () => void = () => {},
  ) {
    this.leaseId = leaseId;
    this.ttlSeconds = ttlSeconds;
    this.signal = this.controller.signal;
    this.lost = new Promise((resolve) => (this.resolveLost = resolve));
    this.loop = this.run().finally(onStop);
  }

  /** Stops renewing (the lease itself lives on until it expires or is revoked). Safe twice. */
  async close(): Promise<void> {
    if (this.closed) return this.loop;
    this.closed = true;
    this.stopped.abort();
    this.call?.end();
    this.call?.cancel();
    await this.loop;
  }

  get isLost(): boolean {
    return this.controller.signal.aborted;
  }

  private markLost(reason: string): void {
    if (this.isLost || this.closed) return;
    const error = new LeaseLostError(this.leaseId, reason);
    this.controller.abort(error);
    this.resolveLost(error);
    this.closed = true;
    this.stopped.abort();
    this.call?.cancel();
  }

  private expired(): boolean {
    return Date.now() - this.lastRenewMs > Number(this.ttlSeconds) * 1000;
  }

  // Ends only when closed or lost; each failed stream is followed by a pause, and a lease
  // left unrenewed for a whole TTL counts as lost, which bounds the retries.
  private async run(): Promise<void> {
    while (!this.closed) {
      const error = await this.streamOnce().catch((failure: unknown) => failure);
      if (this.closed) return;
      if (error instanceof EtcdClientError && this.rpc.isAuthRetry(error)) await this.rpc.refreshToken().catch(() => {});
      if (this.expired()) {
        this.markLost('no keep-alive reached the server within the lease TTL');
        return;
      }
      await sleep(RECONNECT_BACKOFF_MS, this.stopped.signal).catch(() => {});
    }
  }

  private async streamOnce(): Promise<unknown> {
    const { call, endpoint } = await this.rpc.bidi(LeaseService.leaseKeepAlive, { signal: this.stopped.signal });
    this.call = call;
    const ended = new Promise<unknown>((resolve) => {
      call.on('data', (response: LeaseKeepAliveResponse) => this.onResponse(response));
      call.on('error', (error: unknown) => resolve(error));
      call.on('end', () => resolve(new EtcdClientError(GrpcStatus.UNAVAILABLE, 'keep-alive stream ended')));
    });
    let done = false;
    void ended.then(() => (done = true));
    // Ticks until the stream ends; each pass sleeps, so the loop cannot spin.
    while (!done && !this.closed) {
      call.write({ ID: this.leaseId });
      const intervalMs = Math.max(RENEW_INTERVAL_MS_MIN, (Number(this.ttlSeconds) * 1000) / RENEW_FRACTION);
      await Promise.race([ended, sleep(intervalMs, this.stopped.signal).catch(() => {})]);
      if (this.expired()) this.markLost('no keep-alive response within the lease TTL');
    }
    const error = await Promise.race([ended, Promise.resolve(undefined)]);
    if (error !== undefined) this.rpc.markFailed(endpoint);
    return error;
  }

  private onResponse(response: LeaseKeepAliveResponse): void {
    if (response.TTL <= 0n) {
      this.markLost('the server reports the lease expired or revoked');
      return;
    }
    this.ttlSeconds = response.TTL;
    this.lastRenewMs = Date.now();
  }
}
