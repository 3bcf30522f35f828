// Raft's safety properties, watched during a run: one leader per term, every
// member applies the same entry at each index, logs agree on committed
// prefixes, and nothing committed is missing once the cluster has healed.

import type { Entry, MemberId } from '../../src/raft/types.js';
import type { SimMember } from './sim-member.js';

/** Violations kept per run; after the first few the rest are noise. */
const VIOLATIONS_KEPT_MAX = 16;

interface CommittedRecord {
  readonly term: number;
  readonly data: string;
  readonly firstSeenBy: MemberId;
}

export class SafetyMonitor {
  readonly violations: string[] = [];
  private readonly leaderOfTerm = new Map<number, MemberId>();
  /** Every entry known to be committed, by index. */
  private readonly committed = new Map<number, CommittedRecord>();

  private highestCommitted = 0;

  get highestCommittedIndex(): number {
    return this.highestCommitted;
  }

  violation(text: string): void {
    if (this.violations.length < VIOLATIONS_KEPT_MAX) this.violations.push(text);
  }

  /** Call whenever a member may have become leader. */
  observeLeadership(member: SimMember): void {
    const status = member.node?.status();
    if (status !== undefined && member.isLeader()) this.observeLeader(member.id, status.term);
  }

  observeLeader(id: MemberId, term: number): void {
    const seen = this.leaderOfTerm.get(term);
    if (seen === undefined) this.leaderOfTerm.set(term, id);
    else if (seen !== id) this.violation(`two leaders in term ${term}: ${seen} and ${id}`);
  }

  observeApply(id: MemberId, entry: Entry): void {
    this.observeCommitted(id, entry, 'applied');
  }

  /** Every entry a member holds at or below its commit index must be the committed one. */
  checkLog(member: SimMember): void {
    const node = member.node;
    if (node === undefined) return;
    const storage = member.disk.volatile;
    const last = Math.min(node.status().commit, storage.lastIndex());
    const first = storage.firstIndex();
    if (last < first) return;
    for (const e of storage.entries(first, last + 1, Number.MAX_SAFE_INTEGER)) this.observeCommitted(member.id, e, 'holds');
  }

  /** After healing: every member applied everything ever committed, and they agree on the state. */
  checkConverged(members: readonly SimMember[]): void {
    const highest = this.highestCommittedIndex;
    let reference: string | undefined;
    for (const m of members) {
      this.checkLog(m);
      if (m.appliedIndex < highest) {
        this.violation(`member ${m.id} applied only up to ${m.appliedIndex}; ${highest} was committed`);
      }
      const state = new TextDecoder().decode(m.kv.encode());
      reference ??= state;
      if (state !== reference) this.violation(`member ${m.id} ended with a different state machine`);
    }
  }

  private observeCommitted(id: MemberId, entry: Entry, how: string): void {
    const data = Buffer.from(entry.data).toString('latin1');
    const seen = this.committed.get(entry.index);
    if (seen === undefined) {
      this.committed.set(entry.index, { term: entry.term, data, firstSeenBy: id });
      this.highestCommitted = Math.max(this.highestCommitted, entry.index);
    } else if (seen.term !== entry.term || seen.data !== data) {
      this.violation(`member ${id} ${how} entry ${entry.index} of term ${entry.term}, ` +
        `but member ${seen.firstSeenBy} had committed one of term ${seen.term} there`);
    }
  }
}
