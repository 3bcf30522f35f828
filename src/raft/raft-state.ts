// The role a raft member currently plays, and the volatile state (who leads,
// in which role) reported to the application when it changes.

import type { MemberId } from './types.js';

export enum RaftState {
  Follower = 'follower',
  PreCandidate = 'pre-candidate',
  Candidate = 'candidate',
  Leader = 'leader',
}

export interface SoftState {
  readonly lead: MemberId;
  readonly raftState: RaftState;
}

export interface ReadState {
  /** The commit index at the time the read was requested; serve once applied reaches it. */
  readonly index: number;
  readonly context: Uint8Array;
}
