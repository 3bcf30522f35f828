// The revision history of one key, as etcd's keyIndex: a list of generations,
// each from a creating put to the tombstone that ends it; the current generation
// is empty while the key is deleted. Most keys have one generation with one
// revision, so the current generation lives in the object's own fields and only
// extra revisions and ended generations take arrays: a million keys stay small.
import { assert } from '../util/assert.js';
import { revisionId, type Revision } from './revision.js';

interface Generation {
  /** Puts in this generation so far, counting ones compacted away. */
  version: number;
  /** Main revision of the put that created this generation. */
  created: number;
  /** Flat (main, sub) pairs, oldest first. */
  revs: number[];
}

export interface KeyAt {
  readonly modified: Revision;
  readonly created: number;
  readonly version: number;
}

/** Main revisions start at 1, so 0 marks an empty current generation. */
const NO_REVISION = 0;

export class KeyHistory {
  // The key itself is the index's map key; not repeating it here saves a
  // Buffer per key.
  /** Ended generations (each closed by a tombstone), oldest first; null while there are none. */
  private past: Generation[] | null = null;
  /** The current generation: its version, creation, newest revision and older revisions. */
  private version = 0;
  private created = 0;
  private main = NO_REVISION;
  private sub = 0;
  /** Older (main, sub) pairs of the current generation, oldest first; null while it has one revision. */
  private older: number[] | null = null;

  /** True when the key has no history left (only after compaction). */
  isEmpty(): boolean {
    return this.past === null && this.main === NO_REVISION;
  }

  /** True when the newest revision is a live put. */
  isLive(): boolean {
    return this.main !== NO_REVISION;
  }

  put(main: number, sub: number): void {
    this.append(main, sub, this.main === NO_REVISION ? main : this.created, this.version + 1);
  }

  /** Rebuilding from disk: the record carries the generation's creation and version. */
  restorePut(main: number, sub: number, created: number, version: number): void {
    this.append(main, sub, this.main === NO_REVISION ? created : this.created, version);
  }

  tombstone(main: number, sub: number): void {
    assert(this.isLive(), 'tombstone of a key that is not live');
    this.put(main, sub);
    (this.past ??= []).push(this.currentGeneration());
    this.setCurrent({ version: 0, created: 0, revs: [] });
  }

  /** The live put visible at revision atRev, if any. */
  get(atRev: number): KeyAt | undefined {
    if (this.main !== NO_REVISION) {
      if (this.main <= atRev) return { modified: { main: this.main, sub: this.sub }, created: this.created, version: this.version };
      const older = this.older;
      if (older !== null && (older[0] as number) <= atRev) return revisionAt(older, atRev, this.created, this.version - 1);
    }
    const past = this.past;
    if (past === null) return undefined;
    for (let i = past.length - 1; i >= 0; i--) {
      const g = past[i] as Generation;
      // Ended at or before atRev: the key was deleted then.
      if ((g.revs[g.revs.length - 2] as number) <= atRev) return undefined;
      if ((g.revs[0] as number) <= atRev) return revisionAt(g.revs, atRev, g.created, g.version);
    }
    return undefined;
  }

  /**
   * Drops history below atRev, keeping the newest revision at or below it unless
   * that is a tombstone; adds the kept revision ids to `available`.
   */
  compact(atRev: number, available: Set<string>): void {
    assert(!this.isEmpty(), 'compact of an empty key history');
    if (this.past === null && this.older === null) {
      // One revision: kept as it is if it is at or below atRev.
      if (this.main <= atRev) available.add(revisionId(this.main, this.sub));
      return;
    }
    const generations = this.generations();
    const [genIdx, revIdx] = doCompact(generations, atRev, available);
    let first = genIdx;
    const g = generations[genIdx] as Generation;
    if (g.revs.length > 0) {
      if (revIdx !== -1) g.revs = g.revs.slice(revIdx);
      if (g.revs.length === 2 && genIdx !== generations.length - 1) {
        // Only the tombstone is left: the whole generation goes.
        available.delete(revisionId(g.revs[0] as number, g.revs[1] as number));
        first++;
      }
    }
    const kept = generations.slice(first);
    this.setCurrent(kept.pop() as Generation);
    this.past = kept.length > 0 ? kept : null;
  }

  /** What compact(atRev) would keep, without changing anything. */
  keep(atRev: number, available: Set<string>): void {
    if (this.isEmpty()) return;
    if (this.past === null && this.older === null) {
      if (this.main <= atRev) available.add(revisionId(this.main, this.sub));
      return;
    }
    const generations = this.generations();
    const [genIdx, revIdx] = doCompact(generations, atRev, available);
    const g = generations[genIdx] as Generation;
    if (g.revs.length > 0 && revIdx === g.revs.length - 2 && genIdx !== generations.length - 1) {
      available.delete(revisionId(g.revs[revIdx] as number, g.revs[revIdx + 1] as number));
    }
  }

  private append(main: number, sub: number, created: number, version: number): void {
    assert(main > NO_REVISION, 'revision main must be positive');
    if (this.main !== NO_REVISION) {
      // A fresh two-element literal is sized exactly, where push() onto an empty
      // array reserves room for 17: most keys only ever have one revision.
      if (this.older === null) this.older = [this.main, this.sub];
      else this.older.push(this.main, this.sub);
    }
    this.main = main;
    this.sub = sub;
    this.created = created;
    this.version = version;
  }

  /** A copy of the current generation in array form (compaction's rare path). */
  private currentGeneration(): Generation {
    const revs = this.main === NO_REVISION ? [] : [...(this.older ?? []), this.main, this.sub];
    return { version: this.version, created: this.created, revs };
  }

  private setCurrent(g: Generation): void {
    const n = g.revs.length;
    this.version = g.version;
    this.created = g.created;
    this.main = n === 0 ? NO_REVISION : (g.revs[n - 2] as number);
    this.sub = n === 0 ? 0 : (g.revs[n - 1] as number);
    this.older = n > 2 ? g.revs.slice(0, n - 2) : null;
  }

  /** Every generation, oldest first; the last is the current one. */
  private generations(): Generation[] {
    return [...(this.past ?? []), this.currentGeneration()];
  }
}

/** The newest revision <= atRev in `revs`, whose last pair carries `newestVersion`. */
function revisionAt(revs: readonly number[], atRev: number, created: number, newestVersion: number): KeyAt | undefined {
  for (let i = revs.length - 2; i >= 0; i -= 2) {
    const main = revs[i] as number;
    if (main <= atRev) {
      const newerPuts = (revs.length - 2 - i) / 2;
      return { modified: { main, sub: revs[i + 1] as number }, created, version: newestVersion - newerPuts };
    }
  }
  return undefined;
}

/** Finds the generation atRev falls in and the index of its newest rev <= atRev (-1: none). */
function doCompact(generations: readonly Generation[], atRev: number, available: Set<string>): [number, number] {
  let genIdx = 0;
  while (genIdx < generations.length - 1) {
    const revs = (generations[genIdx] as Generation).revs;
    if ((revs[revs.length - 2] as number) > atRev) break;
    genIdx++;
  }
  const revs = (generations[genIdx] as Generation).revs;
  for (let i = revs.length - 2; i >= 0; i -= 2) {
    if ((revs[i] as number) <= atRev) {
      available.add(revisionId(revs[i] as number, revs[i + 1] as number));
      return [genIdx, i];
    }
  }
  return [genIdx, -1];
}
