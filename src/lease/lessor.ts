// The lessor: every granted lease, the keys attached to it, and (on the leader
// only) when each one expires. Grant, revoke and checkpoint change it only from the
// apply loop, so every member holds the same leases; expiry times are the leader's
// private knowledge, and an expired lease is revoked through the log like any write.
import type { LeaseAttachments, LeaseLookup } from '../apply/lease-hooks.js';
import type { Backend } from '../backend/backend.js';
import { EtcdError } from '../errors/etcd-error.js';
import type { LeaseCheckpoint } from '../generated/etcdserverpb/rpc.js';
import { assert } from '../util/assert.js';
import type { LeaseClock } from './lease-clock.js';
import { LEASE_EXPIRED_RETRY_MS, LEASE_TTL_SECONDS_MAX } from './lease-limits.js';
import { LeaseQueue } from './lease-queue.js';
import { decodeLeaseRecord, encodeLeaseRecord, leaseKey } from './lease-record.js';
import { spreadPiledUpExpiries } from './spread-expiries.js';

export interface LessorOptions {
  readonly minTtlSeconds: number;
  readonly clock: LeaseClock;
  /** How often a long lease's remaining TTL is checkpointed; null: never (etcd's default). */
  readonly checkpointIntervalMs: number | null;
}

/** What the lessor reads at start-up besides its own bucket: the live keys that carry a lease. */
export interface LeasedKeySource {
  forEachLeasedKey(visit: (key: Buffer, lease: bigint) => void): void;
}

export interface Lease {
  readonly id: bigint;
  ttlSeconds: number;
  /** Last checkpointed remaining TTL; 0: none, the full TTL applies. */
  remainingTtlSeconds: number;
  /** When the lease expires on the leader; Infinity on other members. */
  expiryMs: number;
  /** Attached keys, as latin1 strings (a lossless byte mapping that sorts like the bytes). */
  readonly keys: Set<string>;
}

export interface TimeToLive {
  readonly remainingSeconds: number;
  readonly grantedSeconds: number;
  readonly keys: Buffer[];
}

/** What etcd reports for a lease with no expiry (off the leader): the longest Go duration, in seconds. */
const FOREVER_SECONDS = 9_223_372_036;

type RevokeWaiter = (revoked: boolean) => void;

export class Lessor implements LeaseLookup, LeaseAttachments {
  private readonly leases = new Map<bigint, Lease>();
  private readonly expiries = new LeaseQueue();
  private readonly checkpoints = new LeaseQueue();
  /** Renewals of expired leases, waiting for the revocation (or for leadership to end). */
  private readonly revokeWaiters = new Map<bigint, RevokeWaiter[]>();
  private primary = false;

  private constructor(
    private readonly backend: Backend,
    private readonly options: LessorOptions,
  ) {}

  /** Rebuilds the leases from the backend and reattaches the keys that name them. */
  static open(backend: Backend, keys: LeasedKeySource, options: LessorOptions): Lessor {
    const lessor = new Lessor(backend, options);
    lessor.load(keys);
    return lessor;
  }

  /**
   * Reloads everything from the backend after its contents were replaced (a snapshot
   * from the leader was installed). On the leader every lease then gets a full TTL.
   */
  recover(keys: LeasedKeySource, extendMs: number): void {
    const wasPrimary = this.primary;
    this.demote();
    this.leases.clear();
    this.load(keys);
    if (wasPrimary) this.promote(extendMs);
  }

  private load(keys: LeasedKeySource): void {
    for (const entry of this.backend.range('lease', Buffer.alloc(0), undefined, 0)) {
      const record = decodeLeaseRecord(entry.value);
      this.leases.set(record.id, {
        id: record.id,
        ttlSeconds: Math.max(Number(record.ttlSeconds), this.options.minTtlSeconds),
        remainingTtlSeconds: Number(record.remainingTtlSeconds),
        expiryMs: Number.POSITIVE_INFINITY,
        keys: new Set(),
      });
    }
    // A key naming a lease that is gone is left alone, as etcd does.
    keys.forEachLeasedKey((key, id) => this.leases.get(id)?.keys.add(key.toString('latin1')));
  }

  get isPrimary(): boolean {
    return this.primary;
  }

  get count(): number {
    return this.leases.size;
  }

  has(id: bigint): boolean {
    return this.leases.has(id);
  }

  lookup(id: bigint): Readonly<Lease> | undefined {
    return this.leases.get(id);
  }

  hasAnyLease(): boolean {
    return this.leases.size > 0;
  }

  attach(id: bigint, key: Buffer): void {
    this.leases.get(id)?.keys.add(key.toString('latin1'));
  }

  detach(id: bigint, key: Buffer): void {
    this.leases.get(id)?.keys.delete(key.toString('latin1'));
  }

  // ---- Changes made by the apply loop ------------------------------------------

  /** Throws EtcdError LeaseNotFound (ID 0), LeaseTTLTooLarge or LeaseExist. */
  grant(id: bigint, ttlSeconds: bigint): Readonly<Lease> {
    if (id === 0n) throw new EtcdError('LeaseNotFound');
    if (ttlSeconds > LEASE_TTL_SECONDS_MAX) throw new EtcdError('LeaseTTLTooLarge');
    if (this.leases.has(id)) throw new EtcdError('LeaseExist');
    const lease: Lease = {
      id,
      ttlSeconds: Math.max(Number(ttlSeconds), this.options.minTtlSeconds),
      remainingTtlSeconds: 0,
      expiryMs: Number.POSITIVE_INFINITY,
      keys: new Set(),
    };
    this.leases.set(id, lease);
    this.persist(lease);
    if (this.primary) {
      this.refresh(lease, 0);
      this.scheduleCheckpoint(lease);
    }
    return lease;
  }

  /**
   * Forgets the lease and returns its keys in byte order (the same order on every
   * member, so their stores hash alike); the caller deletes them in the same write.
   */
  revoke(id: bigint): Buffer[] {
    const lease = this.leases.get(id);
    if (lease === undefined) throw new EtcdError('LeaseNotFound');
    this.leases.delete(id);
    this.expiries.unschedule(id);
    this.checkpoints.unschedule(id);
    this.backend.delete('lease', leaseKey(id));
    this.wakeRevokeWaiters(id, true);
    return [...lease.keys].sort().map((key) => Buffer.from(key, 'latin1'));
  }

  /** Records a checkpointed remaining TTL; unknown leases are ignored, as etcd does. */
  checkpoint(id: bigint, remainingTtlSeconds: bigint): void {
    const lease = this.leases.get(id);
    if (lease === undefined) return;
    lease.remainingTtlSeconds = Number(remainingTtlSeconds);
    this.persist(lease);
    if (this.primary) this.scheduleCheckpoint(lease);
  }

  // ---- The leader's view -----------------------------------------------------

  /**
   * Called when this member starts leading (with every entry of earlier terms applied):
   * each lease gets its full (or checkpointed) TTL again, plus `extendMs`, so no lease
   * expires because of the outage or election that came before.
   */
  promote(extendMs: number): void {
    this.primary = true;
    for (const lease of this.leases.values()) {
      this.refresh(lease, extendMs);
      this.scheduleCheckpoint(lease);
    }
    const nowMs = this.options.clock.nowMs();
    for (const { lease, delayMs } of spreadPiledUpExpiries([...this.leases.values()], nowMs)) {
      this.refresh(lease, delayMs + extendMs);
    }
  }

  /** Called when this member stops leading: it no longer knows when leases expire. */
  demote(): void {
    this.primary = false;
    for (const lease of this.leases.values()) lease.expiryMs = Number.POSITIVE_INFINITY;
    this.expiries.clear();
    this.checkpoints.clear();
    for (const id of [...this.revokeWaiters.keys()]) this.wakeRevokeWaiters(id, false);
  }

  /**
   * Restarts a lease's TTL and returns it. Only the leader renews. An expired lease
   * that is still being revoked is not revived: the call waits for the revocation.
   * Throws EtcdError LeaseNotFound, or NotLeader when leadership ends first.
   */
  async renew(id: bigint): Promise<number> {
    if (!this.primary) throw new EtcdError('NotLeader');
    const lease = this.leases.get(id);
    if (lease === undefined) throw new EtcdError('LeaseNotFound');
    if (this.remainingMs(lease) <= 0) {
      const revoked = await new Promise<boolean>((resolve) => this.addRevokeWaiter(id, resolve));
      throw new EtcdError(revoked ? 'LeaseNotFound' : 'NotLeader');
    }
    lease.remainingTtlSeconds = 0;
    this.refresh(lease, 0);
    return lease.ttlSeconds;
  }

  /** Remaining and granted TTL in seconds (remaining truncated, as etcd), or undefined if unknown. */
  timeToLive(id: bigint, withKeys: boolean): TimeToLive | undefined {
    const lease = this.leases.get(id);
    if (lease === undefined) return undefined;
    const remainingMs = this.remainingMs(lease);
    const remainingSeconds = Number.isFinite(remainingMs) ? Math.trunc(remainingMs / 1000) : FOREVER_SECONDS;
    const keys = withKeys ? [...lease.keys].map((key) => Buffer.from(key, 'latin1')) : [];
    return { remainingSeconds, grantedSeconds: lease.ttlSeconds, keys };
  }

  /** Every lease ID, soonest expiry first. */
  list(): bigint[] {
    return [...this.leases.values()].sort((a, b) => a.expiryMs - b.expiryMs).map((lease) => lease.id);
  }

  /**
   * Up to `limit` leases past their expiry, for the leader to revoke through the log.
   * Each is offered again after a while in case its revocation is lost.
   */
  findExpired(limit: number): bigint[] {
    const expired: bigint[] = [];
    if (!this.primary) return expired;
    const nowMs = this.options.clock.nowMs();
    while (expired.length < limit) {
      const id = this.expiries.popDue(nowMs);
      if (id === undefined) break;
      const lease = this.leases.get(id);
      if (lease === undefined) continue;
      if (lease.expiryMs > nowMs) {
        this.expiries.schedule(id, lease.expiryMs);
        continue;
      }
      this.expiries.schedule(id, nowMs + LEASE_EXPIRED_RETRY_MS);
      expired.push(id);
    }
    return expired;
  }

  /** Up to `limit` remaining TTLs due to be checkpointed through the log. */
  findDueCheckpoints(limit: number): LeaseCheckpoint[] {
    const due: LeaseCheckpoint[] = [];
    if (!this.primary || this.options.checkpointIntervalMs === null) return due;
    const nowMs = this.options.clock.nowMs();
    while (due.length < limit) {
      const id = this.checkpoints.popDue(nowMs);
      if (id === undefined) break;
      const lease = this.leases.get(id);
      if (lease === undefined || lease.expiryMs <= nowMs) continue;
      const remainingTTL = Math.ceil((lease.expiryMs - nowMs) / 1000);
      if (remainingTTL >= lease.ttlSeconds) continue;
      due.push({ ID: id, remainingTTL: BigInt(remainingTTL) });
    }
    return due;
  }

  /** Releases renewals still waiting; they fail as if leadership had ended. */
  close(): void {
    this.demote();
  }

  // ---- Internals -------------------------------------------------------------

  private remainingMs(lease: Lease): number {
    return lease.expiryMs - this.options.clock.nowMs();
  }

  private refresh(lease: Lease, extendMs: number): void {
    const ttlSeconds = lease.remainingTtlSeconds > 0 ? lease.remainingTtlSeconds : lease.ttlSeconds;
    lease.expiryMs = this.options.clock.nowMs() + extendMs + ttlSeconds * 1000;
    this.expiries.schedule(lease.id, lease.expiryMs);
  }

  private scheduleCheckpoint(lease: Lease): void {
    const intervalMs = this.options.checkpointIntervalMs;
    if (intervalMs === null) return;
    const ttlSeconds = lease.remainingTtlSeconds > 0 ? lease.remainingTtlSeconds : lease.ttlSeconds;
    if (ttlSeconds * 1000 <= intervalMs) return;
    this.checkpoints.schedule(lease.id, this.options.clock.nowMs() + intervalMs);
  }

  private persist(lease: Lease): void {
    const record = {
      id: lease.id,
      ttlSeconds: BigInt(lease.ttlSeconds),
      remainingTtlSeconds: BigInt(lease.remainingTtlSeconds),
    };
    this.backend.put('lease', leaseKey(lease.id), encodeLeaseRecord(record));
  }

  private addRevokeWaiter(id: bigint, waiter: RevokeWaiter): void {
    const waiters = this.revokeWaiters.get(id);
    if (waiters === undefined) this.revokeWaiters.set(id, [waiter]);
    else waiters.push(waiter);
  }

  private wakeRevokeWaiters(id: bigint, revoked: boolean): void {
    const waiters = this.revokeWaiters.get(id);
    if (waiters === undefined) return;
    this.revokeWaiters.delete(id);
    for (const waiter of waiters) waiter(revoked);
  }
}

assert(Number.isSafeInteger(Number(LEASE_TTL_SECONDS_MAX)), 'the largest TTL must be a safe integer of seconds');
