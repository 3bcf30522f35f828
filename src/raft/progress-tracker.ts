// The leader's view of the configuration: voters, learners, one Progress per
// member, and the votes collected in the current election.

import { Progress } from './progress.js';
import { hasQuorum, majorityCommittedIndex, voteResult, type VoteResult } from './quorum.js';
import type { ConfState, MemberId } from './types.js';

export class ProgressTracker {
  readonly voters = new Set<MemberId>();
  readonly learners = new Set<MemberId>();
  readonly progress = new Map<MemberId, Progress>();
  readonly votes = new Map<MemberId, boolean>();

  constructor(private readonly maxInflightMsgs: number) {}

  /** Replaces the whole configuration (restart or snapshot); every member starts probing at `next`. */
  reset(cs: ConfState, next: number): void {
    this.voters.clear();
    this.learners.clear();
    this.progress.clear();
    for (const id of cs.voters) this.addVoter(id, next);
    for (const id of cs.learners) this.addLearner(id, next);
  }

  addVoter(id: MemberId, next: number): void {
    this.learners.delete(id);
    this.voters.add(id);
    const pr = this.progress.get(id);
    if (pr !== undefined) {
      pr.isLearner = false;
      return;
    }
    this.progress.set(id, this.newProgress(next, false));
  }

  addLearner(id: MemberId, next: number): void {
    this.voters.delete(id);
    this.learners.add(id);
    const pr = this.progress.get(id);
    if (pr !== undefined) {
      pr.isLearner = true;
      return;
    }
    this.progress.set(id, this.newProgress(next, true));
  }

  remove(id: MemberId): void {
    this.voters.delete(id);
    this.learners.delete(id);
    this.progress.delete(id);
  }

  /** Forgets all flow-control state (new term): everyone is probed from `next`. */
  resetProgress(next: number): void {
    for (const [id, pr] of this.progress) {
      this.progress.set(id, new Progress(next, this.maxInflightMsgs, pr.isLearner));
    }
  }

  private newProgress(next: number, isLearner: boolean): Progress {
    const pr = new Progress(next, this.maxInflightMsgs, isLearner);
    // A member just added has had no chance to respond; do not count it as dead yet.
    pr.recentActive = true;
    return pr;
  }

  /** One voter decides everything alone; learners do not change that. */
  isSingleton(): boolean {
    return this.voters.size === 1;
  }

  committed(): number {
    return majorityCommittedIndex(this.voters, (id) => this.progress.get(id)?.match);
  }

  quorumActive(): boolean {
    return hasQuorum(this.voters, (id) => this.progress.get(id)?.recentActive === true);
  }

  recordVote(id: MemberId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): VoteResult {
    return voteResult(this.voters, this.votes);
  }

  resetVotes(): void {
    this.votes.clear();
  }

  confState(): ConfState {
    const byId = (a: MemberId, b: MemberId): number => (a < b ? -1 : a > b ? 1 : 0);
    return { voters: [...this.voters].sort(byId), learners: [...this.learners].sort(byId) };
  }
}
