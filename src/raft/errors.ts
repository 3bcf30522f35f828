// The operating errors the raft core reports to its caller. They are expected
// conditions (no leader, compacted log), not bugs, so they are never assertions.

export type RaftErrorCode =
  | 'PROPOSAL_DROPPED'
  | 'COMPACTED'
  | 'UNAVAILABLE'
  | 'SNAPSHOT_OUT_OF_DATE'
  | 'SNAPSHOT_TEMPORARILY_UNAVAILABLE'
  | 'STEP_LOCAL_MESSAGE'
  | 'STEP_PEER_NOT_FOUND'
  | 'MALFORMED'
  | 'INVALID_CONFIG';

export class RaftError extends Error {
  constructor(
    readonly code: RaftErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RaftError';
  }
}

/** A proposal was not appended: there is no leader, a transfer is under way, or too much is uncommitted. */
export class ProposalDroppedError extends RaftError {
  constructor(reason: string) {
    super('PROPOSAL_DROPPED', `raft proposal dropped: ${reason}`);
    this.name = 'ProposalDroppedError';
  }
}

/** The requested index is below the first index still held: it was compacted into a snapshot. */
export class CompactedError extends RaftError {
  constructor() {
    super('COMPACTED', 'requested index is unavailable due to compaction');
    this.name = 'CompactedError';
  }
}

/** The requested index is beyond the last index held. */
export class UnavailableError extends RaftError {
  constructor() {
    super('UNAVAILABLE', 'requested entry at index is unavailable');
    this.name = 'UnavailableError';
  }
}

export class SnapshotOutOfDateError extends RaftError {
  constructor() {
    super('SNAPSHOT_OUT_OF_DATE', 'requested index is older than the existing snapshot');
    this.name = 'SnapshotOutOfDateError';
  }
}

/** Storage cannot produce a snapshot right now; the leader will retry later. */
export class SnapshotTemporarilyUnavailableError extends RaftError {
  constructor() {
    super('SNAPSHOT_TEMPORARILY_UNAVAILABLE', 'snapshot is temporarily unavailable');
    this.name = 'SnapshotTemporarilyUnavailableError';
  }
}

/** Bytes from disk or the network that do not decode to a valid raft record. */
export class MalformedError extends RaftError {
  constructor(what: string, detail: string) {
    super('MALFORMED', `malformed ${what}: ${detail}`);
    this.name = 'MalformedError';
  }
}

/** Settings no raft member can run with; raised once, at start-up. */
export class InvalidConfigError extends RaftError {
  constructor(detail: string) {
    super('INVALID_CONFIG', `invalid raft config: ${detail}`);
    this.name = 'InvalidConfigError';
  }
}
