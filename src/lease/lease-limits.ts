// Lease limits and rates, as etcd's lessor and server define them.

/** Largest TTL a lease may be granted with (etcd's MaxLeaseTTL). */
export const LEASE_TTL_SECONDS_MAX = 9_000_000_000n;
/** Leases revoked at most per second (etcd's leaseRevokeRate). */
export const LEASE_REVOKE_PER_SECOND_MAX = 1000;
/** How often the leader looks for expired leases and due checkpoints. */
export const LEASE_EXPIRY_CHECK_INTERVAL_MS = 500;
/** Revocations of expired leases in flight at once (etcd's maxPendingRevokes). */
export const LEASE_PENDING_REVOKES_MAX = 16;
/** An expired lease whose revocation did not land is offered again after this long. */
export const LEASE_EXPIRED_RETRY_MS = 3000;
/** Default interval between checkpoints of one lease's remaining TTL. */
export const LEASE_CHECKPOINT_INTERVAL_MS_DEFAULT = 5 * 60 * 1000;
/** Checkpoints batched into one log entry (etcd's maxLeaseCheckpointBatchSize). */
export const LEASE_CHECKPOINTS_PER_ENTRY_MAX = 1000;
/** Checkpoint entries proposed per expiry round (half of etcd's leaseCheckpointRate per second). */
export const LEASE_CHECKPOINT_ENTRIES_PER_ROUND_MAX = 500;
/** TTL of the lease the Election and Lock services grant when a request names none (etcd's session default). */
export const SESSION_LEASE_TTL_SECONDS = 60n;

/**
 * etcd's minimum lease TTL: one and a half election timeouts, rounded up to whole
 * seconds, so a lease survives a leader election.
 */
export function minLeaseTtlSeconds(electionTimeoutMs: number, heartbeatIntervalMs: number): number {
  const electionTicks = Math.max(1, Math.floor(electionTimeoutMs / heartbeatIntervalMs));
  const minTtlMs = Math.floor((3 * electionTicks) / 2) * heartbeatIntervalMs;
  return Math.ceil(minTtlMs / 1000);
}
