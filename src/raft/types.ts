// The raft vocabulary shared by the pure core, the WAL and the server: entries,
// hard state, snapshots and messages. Indexes and terms are numbers (they never
// reach 2^53); member ids are 64-bit and so are bigints.

export type MemberId = bigint;

/** No member: a vote not cast, a leader not known. */
export const NO_MEMBER: MemberId = 0n;

export enum EntryType {
  /** A replicated application request (or an empty entry a new leader appends). */
  Normal = 0,
  /** A single-step membership change; data is an encoded ConfChange. */
  ConfChange = 1,
}

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What must be on disk before any message that depends on it is sent. */
export interface HardState {
  readonly term: number;
  readonly vote: MemberId;
  readonly commit: number;
}

export interface ConfState {
  readonly voters: readonly MemberId[];
  readonly learners: readonly MemberId[];
}

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  /** The application's state at metadata.index, opaque to raft. */
  readonly data: Uint8Array;
}

export enum ConfChangeType {
  AddNode = 0,
  RemoveNode = 1,
  UpdateNode = 2,
  AddLearnerNode = 3,
}

export interface ConfChange {
  readonly type: ConfChangeType;
  readonly memberId: MemberId;
  /** Application data carried with the change (for example the member's URLs). */
  readonly context: Uint8Array;
}
