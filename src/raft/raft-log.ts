// The whole log as the core sees it: stable entries in storage followed by the
// unstable tail, with the commit and applied cursors.

import { assert } from '../util/assert.js';
import { CompactedError, UnavailableError } from './errors.js';
import { limitSize, NO_LIMIT_BYTES } from './entry-size.js';
import type { RaftStorage } from './storage.js';
import { UnstableLog } from './unstable-log.js';
import type { Entry, Snapshot } from './types.js';

export class RaftLog {
  readonly storage: RaftStorage;
  readonly unstable: UnstableLog;
  /** Highest index known to be on a quorum. */
  committed: number;
  /** Highest index the application has applied (handed out and advanced). */
  applied: number;
  private readonly maxCommittedBatchBytes: number;

  constructor(storage: RaftStorage, maxCommittedBatchBytes: number) {
    this.storage = storage;
    this.maxCommittedBatchBytes = maxCommittedBatchBytes;
    const first = storage.firstIndex();
    this.unstable = new UnstableLog(storage.lastIndex() + 1);
    this.committed = first - 1;
    this.applied = first - 1;
  }

  firstIndex(): number {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): number {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  lastTerm(): number {
    return this.term(this.lastIndex());
  }

  /** Term of entry i; 0 outside [firstIndex-1, lastIndex]. Throws CompactedError from storage. */
  term(i: number): number {
    const dummy = this.firstIndex() - 1;
    if (i < dummy || i > this.lastIndex()) return 0;
    return this.unstable.maybeTerm(i) ?? this.storage.term(i);
  }

  /** Like term(), but a compacted index reads as 0 (unknown) rather than throwing. */
  termOrZero(i: number): number {
    try {
      return this.term(i);
    } catch (e) {
      if (e instanceof CompactedError || e instanceof UnavailableError) return 0;
      throw e;
    }
  }

  matchTerm(i: number, t: number): boolean {
    try {
      return this.term(i) === t;
    } catch (e) {
      if (e instanceof CompactedError || e instanceof UnavailableError) return false;
      throw e;
    }
  }

  /**
   * Appends a leader's entries following (index, logTerm) if that point
   * matches; returns the last index now known to match the leader, or undefined.
   */
  maybeAppend(index: number, logTerm: number, committed: number, ents: readonly Entry[]): number | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = index + ents.length;
    const conflict = this.findConflict(ents);
    if (conflict !== 0) {
      assert(conflict > this.committed, `conflict at ${conflict} with committed ${this.committed}`);
      this.append(ents.slice(conflict - (index + 1)));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: readonly Entry[]): number {
    const first = ents[0];
    if (first === undefined) return this.lastIndex();
    assert(first.index - 1 >= this.committed, `append at ${first.index} below commit ${this.committed}`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** The first index whose term differs from (or is missing in) our log; 0 if all match. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * The largest index <= `index` whose term is <= `term`: where a log that
   * diverged from ours could last agree with it. Skips a whole term per step
   * of the peer's backtracking instead of a single entry.
   */
  findConflictByTerm(index: number, term: number): { index: number; term: number } {
    const lowest = this.firstIndex() - 1;
    let i = Math.min(index, this.lastIndex());
    // Bounded: i strictly decreases towards the snapshot point.
    for (; i > lowest; i--) {
      const t = this.termOrZero(i);
      if (t <= term) return { index: i, term: t };
    }
    return { index: i, term: this.termOrZero(i) };
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries.slice();
  }

  /** Committed, persisted entries not yet applied, up to the batch byte limit. */
  nextCommittedEntries(): Entry[] {
    const lo = Math.max(this.applied + 1, this.firstIndex());
    const hi = this.maxAppliableIndex() + 1;
    if (lo >= hi) return [];
    return this.slice(lo, hi, this.maxCommittedBatchBytes);
  }

  hasNextCommittedEntries(): boolean {
    return Math.max(this.applied + 1, this.firstIndex()) <= this.maxAppliableIndex();
  }

  /** Only persisted entries may be applied: a crash must never forget what was applied. */
  private maxAppliableIndex(): number {
    if (this.unstable.snapshot !== undefined) return this.applied;
    return Math.min(this.committed, this.unstable.offset - 1);
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  commitTo(toCommit: number): void {
    if (toCommit <= this.committed) return;
    assert(toCommit <= this.lastIndex(), `commit ${toCommit} beyond last index ${this.lastIndex()}`);
    this.committed = toCommit;
  }

  appliedTo(i: number): void {
    if (i === 0) return;
    assert(i <= this.committed && i >= this.applied, `applied ${i} outside [${this.applied}, ${this.committed}]`);
    this.applied = i;
  }

  stableTo(i: number, t: number): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  /** Entries from i to the end, within maxSizeBytes. */
  entries(i: number, maxSizeBytes: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxSizeBytes);
  }

  allEntries(): Entry[] {
    return this.entries(this.firstIndex(), NO_LIMIT_BYTES);
  }

  /** Whether a candidate whose log ends at (lastIndex, term) is at least as up to date as ours. */
  isUpToDate(lastIndex: number, term: number): boolean {
    const ourTerm = this.lastTerm();
    return term > ourTerm || (term === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Commits maxIndex if it is from `term` (only current-term entries commit by counting). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && this.termOrZero(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  restore(snap: Snapshot): void {
    this.committed = snap.metadata.index;
    this.unstable.restore(snap);
  }

  /** Entries in [lo, hi); throws CompactedError if lo is below the first index. */
  slice(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    this.checkBounds(lo, hi);
    if (lo === hi) return [];
    let result: Entry[] = [];
    const offset = this.unstable.offset;
    if (lo < offset) {
      const stored = this.storage.entries(lo, Math.min(hi, offset), maxSizeBytes);
      // Storage stopped early because of the size limit: do not add unstable entries after a gap.
      if (stored.length < Math.min(hi, offset) - lo) return stored;
      result = stored;
    }
    if (hi > offset) {
      const tail = this.unstable.slice(Math.max(lo, offset), hi);
      result = result.length > 0 ? result.concat(tail) : tail;
    }
    return limitSize(result, maxSizeBytes);
  }

  private checkBounds(lo: number, hi: number): void {
    assert(lo <= hi, `invalid slice ${lo} > ${hi}`);
    if (lo < this.firstIndex()) throw new CompactedError();
    assert(hi <= this.lastIndex() + 1, `slice [${lo},${hi}) beyond last index ${this.lastIndex()}`);
  }
}
