// Majority arithmetic over one voter set: the committed index a quorum has
// acknowledged and the outcome of an election. Pure functions, no state.

import type { MemberId } from './types.js';

export enum VoteResult {
  Pending = 'pending',
  Lost = 'lost',
  Won = 'won',
}

export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The highest index acknowledged by a majority of voters; a voter with no
 * known match counts as 0. An empty voter set commits nothing.
 */
export function majorityCommittedIndex(
  voters: ReadonlySet<MemberId>,
  matchOf: (id: MemberId) => number | undefined,
): number {
  if (voters.size === 0) return 0;
  const matches: number[] = [];
  for (const id of voters) matches.push(matchOf(id) ?? 0);
  matches.sort((a, b) => b - a);
  return matches[quorumSize(voters.size) - 1] ?? 0;
}

/** Won once a majority granted, Lost once a majority can no longer grant, else Pending. */
export function voteResult(voters: ReadonlySet<MemberId>, votes: ReadonlyMap<MemberId, boolean>): VoteResult {
  if (voters.size === 0) return VoteResult.Won;
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) granted++;
  }
  const q = quorumSize(voters.size);
  if (granted >= q) return VoteResult.Won;
  if (granted + missing >= q) return VoteResult.Pending;
  return VoteResult.Lost;
}

/** Whether the members in `active` form a majority of `voters`. */
export function hasQuorum(voters: ReadonlySet<MemberId>, active: (id: MemberId) => boolean): boolean {
  let count = 0;
  for (const id of voters) if (active(id)) count++;
  return count >= quorumSize(voters.size);
}
