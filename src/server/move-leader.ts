// Maintenance.MoveLeader: the leader hands its role to a named voting member through
// raft's leader transfer, then waits (polling once per heartbeat tick, as etcd) until
// that member leads, or gives up at the caller's deadline.
import { setTimeout as sleep } from 'node:timers/promises';
import { EtcdError } from '../errors/etcd-error.js';
import type { Logger } from '../log/logger.js';

/** The longest a MoveLeader call waits when the caller set no deadline (etcd waits forever; we bound it). */
export const MOVE_LEADER_WAIT_MS_MAX = 60_000;

export interface LeaderTransferTarget {
  readonly memberId: bigint;
  /** The leader as this member's raft sees it now (0n: none). */
  currentLeader(): bigint;
  /** Whether the member exists and votes (a learner cannot lead). */
  isVotingMember(id: bigint): boolean;
  /** Asks raft to transfer leadership from `leader` to `transferee`. */
  transferLeadership(leader: bigint, transferee: bigint): void;
  readonly isStopping: () => boolean;
}

export interface MoveLeaderLimits {
  readonly pollIntervalMs: number;
  /** When the call gives up with "leader transfer took too long" (ms since the epoch). */
  readonly deadlineEpochMs: number;
}

/**
 * Answers as etcd's maintenance server: a follower says "not leader", an unknown or
 * learner transferee is a "bad leader transferee", and a transfer that has not
 * finished by the deadline "took too long".
 */
export async function moveLeader(target: LeaderTransferTarget, transferee: bigint, limits: MoveLeaderLimits, logger: Logger): Promise<void> {
  const leader = target.currentLeader();
  if (leader !== target.memberId) throw new EtcdError('NotLeader');
  if (!target.isVotingMember(transferee)) throw new EtcdError('BadLeaderTransferee');
  const startedMs = Date.now();
  const fields = { 'local-member-id': hex(target.memberId), 'current-leader-member-id': hex(leader), 'transferee-member-id': hex(transferee) };
  logger.info('leadership transfer starting', fields);
  target.transferLeadership(leader, transferee);
  // Raft abandons a transfer after an election timeout; like etcd, the caller's deadline decides.
  while (target.currentLeader() !== transferee) {
    if (target.isStopping()) throw new EtcdError('Stopped');
    if (Date.now() >= limits.deadlineEpochMs) throw new EtcdError('TimeoutLeaderTransfer');
    await sleep(limits.pollIntervalMs);
  }
  logger.info('leadership transfer finished', {
    'local-member-id': hex(target.memberId),
    'old-leader-member-id': hex(leader),
    'new-leader-member-id': hex(transferee),
    took: `${Date.now() - startedMs}ms`,
  });
}

/** The deadline for a call: the client's gRPC deadline, bounded by MOVE_LEADER_WAIT_MS_MAX. */
export function moveLeaderDeadlineEpochMs(clientDeadline: Date | number | undefined, nowMs: number = Date.now()): number {
  const bound = nowMs + MOVE_LEADER_WAIT_MS_MAX;
  if (clientDeadline === undefined) return bound;
  const deadlineMs = clientDeadline instanceof Date ? clientDeadline.getTime() : clientDeadline;
  return Number.isFinite(deadlineMs) ? Math.min(deadlineMs, bound) : bound;
}

function hex(id: bigint): string {
  return id.toString(16);
}
