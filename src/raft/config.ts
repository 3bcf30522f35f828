// The knobs of one raft member and their validation; everything
// nondeterministic (randomness) or environmental (storage, logger) is injected here.

import { InvalidConfigError } from './errors.js';
import type { ReadOnlyOption } from './read-only.js';
import type { RaftStorage } from './storage.js';
import type { MemberId } from './types.js';
import { NO_MEMBER } from './types.js';

export interface RaftLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface RaftConfig {
  readonly id: MemberId;
  /** Ticks without hearing from a leader before a follower campaigns (randomized up to 2x). */
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly storage: RaftStorage;
  /** Seeded source of uniform numbers in [0, 1); the only randomness the core uses. */
  readonly random: () => number;
  readonly maxSizePerMsgBytes: number;
  readonly maxInflightMsgs: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly readOnlyOption: ReadOnlyOption;
  /** Leader refuses proposals beyond this many unapplied payload bytes; 0 means no limit. */
  readonly maxUncommittedEntriesBytes: number;
  /** Bound on committed entries handed out in one Ready; defaults to maxSizePerMsgBytes. */
  readonly maxCommittedSizePerReadyBytes?: number;
  /**
   * Last index the application already applied before a restart (0 if unknown).
   * The storage's ConfState must then include every conf change up to it, since
   * those entries are not handed out (and so not re-applied) again.
   */
  readonly applied?: number;
  readonly logger?: RaftLogger;
}

/** Throws on a configuration no raft member can run with. Called once at start-up. */
export function validateConfig(c: RaftConfig): void {
  const fail = (why: string): never => {
    throw new InvalidConfigError(why);
  };
  if (c.id === NO_MEMBER) fail('id must not be 0');
  if (!Number.isInteger(c.heartbeatTicks) || c.heartbeatTicks <= 0) fail('heartbeatTicks must be a positive integer');
  if (!Number.isInteger(c.electionTicks) || c.electionTicks <= c.heartbeatTicks) {
    fail('electionTicks must be an integer greater than heartbeatTicks');
  }
  if (!Number.isInteger(c.maxInflightMsgs) || c.maxInflightMsgs <= 0) fail('maxInflightMsgs must be positive');
  if (c.maxSizePerMsgBytes <= 0) fail('maxSizePerMsgBytes must be positive');
  if (c.maxUncommittedEntriesBytes < 0) fail('maxUncommittedEntriesBytes must not be negative');
  if (c.readOnlyOption === 'lease-based' && !c.checkQuorum) fail('lease-based reads need checkQuorum');
}

export const SILENT_LOGGER: RaftLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
};
