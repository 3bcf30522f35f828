// The leader's lease timer: every half second it asks the lessor for expired leases
// and proposes their revocation through the log (at most half the revoke rate per
// round, a few in flight at a time), and proposes due TTL checkpoints. Followers'
// lessors report nothing, so only the leader ever revokes.
import { isEtcdError } from '../errors/etcd-error.js';
import type { LeaseCheckpointRequest } from '../generated/etcdserverpb/rpc.js';
import type { Logger } from '../log/logger.js';
import {
  LEASE_CHECKPOINT_ENTRIES_PER_ROUND_MAX,
  LEASE_CHECKPOINTS_PER_ENTRY_MAX,
  LEASE_EXPIRY_CHECK_INTERVAL_MS,
  LEASE_PENDING_REVOKES_MAX,
  LEASE_REVOKE_PER_SECOND_MAX,
} from './lease-limits.js';
import type { Lessor } from './lessor.js';

/** How the loop reaches the log: each call resolves once the entry is applied. */
export interface LeaseProposer {
  revoke(id: bigint): Promise<unknown>;
  checkpoint(request: LeaseCheckpointRequest): Promise<unknown>;
}

const REVOKES_PER_ROUND_MAX = Math.floor((LEASE_REVOKE_PER_SECOND_MAX * LEASE_EXPIRY_CHECK_INTERVAL_MS) / 1000);

export class LeaseExpiryLoop {
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly lessor: Lessor,
    private readonly proposer: LeaseProposer,
    private readonly logger: Logger,
    private readonly intervalMs: number = LEASE_EXPIRY_CHECK_INTERVAL_MS,
  ) {}

  start(): void {
    if (this.stopped || this.timer !== null) return;
    this.timer = setTimeout(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for the round in progress; safe to call twice. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.round;
  }

  /** One round: revoke what has expired, checkpoint what is due. */
  async runOnce(): Promise<void> {
    await this.revokeExpired();
    await this.proposeCheckpoints();
  }

  private tick(): void {
    this.timer = null;
    this.round = this.runOnce()
      .catch((error: unknown) => this.logger.warn('lease expiry round failed', { error: String(error) }))
      .finally(() => {
        this.round = null;
        this.start();
      });
  }

  private async revokeExpired(): Promise<void> {
    const expired = this.lessor.findExpired(REVOKES_PER_ROUND_MAX);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < expired.length && !this.stopped) {
        const id = expired[next++]!;
        await this.proposer.revoke(id).catch((error: unknown) => this.onRevokeFailed(id, error));
      }
    };
    const workers = Math.min(LEASE_PENDING_REVOKES_MAX, expired.length);
    await Promise.all(Array.from({ length: workers }, worker));
  }

  private onRevokeFailed(id: bigint, error: unknown): void {
    // Revoked meanwhile by a client: the goal is met.
    if (isEtcdError(error) && error.code === 'LeaseNotFound') return;
    this.logger.warn('failed to revoke lease', { 'lease-id': id.toString(16), error: String(error) });
  }

  private async proposeCheckpoints(): Promise<void> {
    for (let entry = 0; entry < LEASE_CHECKPOINT_ENTRIES_PER_ROUND_MAX && !this.stopped; entry++) {
      const checkpoints = this.lessor.findDueCheckpoints(LEASE_CHECKPOINTS_PER_ENTRY_MAX);
      if (checkpoints.length === 0) return;
      await this.proposer.checkpoint({ checkpoints }).catch((error: unknown) => {
        this.logger.warn('failed to checkpoint leases', { error: String(error) });
      });
      if (checkpoints.length < LEASE_CHECKPOINTS_PER_ENTRY_MAX) return;
    }
  }
}
