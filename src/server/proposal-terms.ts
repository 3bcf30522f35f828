// Which term each waiting proposal was made in, so proposals lost in a leader change
// fail as soon as that is known instead of waiting for the request timeout.
//
// A new leader's first entry (the empty one it appends on election) follows every
// entry of earlier terms that its log kept. Once this member applies that entry, a
// proposal made in an earlier term that has not been applied was not kept: its
// client is told "leader changed" now. Like a timeout, that answer is indeterminate
// (a delayed forward could still reach the new leader), which is what clients
// already assume of an UNAVAILABLE write.

/** Never more entries than there are waiters; this only guards against a leak. */
export const TRACKED_PROPOSALS_MAX = 1_000_000;

export class ProposalTerms {
  private readonly terms = new Map<bigint, number>();

  get size(): number {
    return this.terms.size;
  }

  /** Returns false (not tracked: it will wait for its timeout) if the bound is reached. */
  track(id: bigint, term: number): boolean {
    if (this.terms.size >= TRACKED_PROPOSALS_MAX) return false;
    this.terms.set(id, term);
    return true;
  }

  forget(id: bigint): void {
    this.terms.delete(id);
  }

  /** The proposals made before `term` that are still waiting; they are forgotten here. */
  takeLostBefore(term: number): bigint[] {
    const lost: bigint[] = [];
    for (const [id, proposedTerm] of this.terms) {
      if (proposedTerm < term) lost.push(id);
    }
    for (const id of lost) this.terms.delete(id);
    return lost;
  }
}
