// A session: a lease kept alive for as long as this process holds locks or leads an
// election. Closing revokes it; `done` says when it ended, by close or by loss.
import type { Int64 } from '../bytes.js';
import { toBigInt } from '../bytes.js';
import type { LeaseLostError } from '../client-errors.js';
import type { Etcd } from '../etcd.js';
import type { LeaseKeepAlive } from '../lease-keep-alive.js';

export const SESSION_TTL_SECONDS_DEFAULT = 60;

export interface SessionOptions {
  ttlSeconds?: number;
  /** Adopt an existing lease instead of granting one. */
  leaseId?: Int64;
  signal?: AbortSignal;
}

export class Session {
  /** Resolves when the session ends: with the loss, or undefined after `close()`/`orphan()`. */
  readonly done: Promise<LeaseLostError | undefined>;
  private resolveDone!: (value: LeaseLostError | undefined) => void;
  private closed = false;

  private constructor(
    readonly etcd: Etcd,
    readonly leaseId: bigint,
    readonly ttlSeconds: number,
    private readonly keepAlive: LeaseKeepAlive,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    void keepAlive.lost.then((lost) => this.resolveDone(lost));
  }

  static async create(etcd: Etcd, options: SessionOptions = {}): Promise<Session> {
    const ttlSeconds = options.ttlSeconds ?? SESSION_TTL_SECONDS_DEFAULT;
    const leaseId = options.leaseId === undefined ? (await etcd.lease.grant(ttlSeconds, { signal: options.signal })).id : toBigInt(options.leaseId);
    return new Session(etcd, leaseId, ttlSeconds, etcd.lease.keepAlive(leaseId, ttlSeconds));
  }

  /** Aborts when the lease is lost: hand it to calls that must not outlive the session. */
  get signal(): AbortSignal {
    return this.keepAlive.signal;
  }

  get isLost(): boolean {
    return this.keepAlive.isLost;
  }

  /** Stops the keep-alive without revoking: the lease (and its keys) lives out its TTL. */
  async orphan(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.keepAlive.close();
    this.resolveDone(undefined);
  }

  /** Stops the keep-alive and revokes the lease, releasing every key held through it. Safe twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.orphan();
    await this.etcd.lease.revoke(this.leaseId).catch(() => {
      // A lease already gone (expired, revoked elsewhere) is the state close wants.
    });
  }
}
