// The revision history of one key, as etcd's keyIndex: a list of generations,
// each from a creating put to the tombstone that ends it; the last generation
// is the current one and is empty while the key is deleted.
import { assert } from '../util/assert.js';
import { revisionId, type Revision } from './revision.js';

interface Generation {
  /** Puts in this generation so far, counting ones compacted away. */
  version: number;
  /** Main revision of the put that created this generation. */
  created: number;
  /** Flat (main, sub) pairs, oldest first; kept flat so a million keys stay small. */
  revs: number[];
}

export interface KeyAt {
  readonly modified: Revision;
  readonly created: number;
  readonly version: number;
}

function emptyGeneration(): Generation {
  return { version: 0, created: 0, revs: [] };
}

function appendRevision(g: Generation, main: number, sub: number): void {
  // A fresh two-element literal is sized exactly, where push() onto an empty
  // array reserves room for 17: most keys only ever have one revision.
  if (g.revs.length === 0) g.revs = [main, sub];
  else g.revs.push(main, sub);
}

export class KeyHistory {
  // The key itself is the index's map key; not repeating it here saves a
  // Buffer per key.
  private generations: Generation[] = [emptyGeneration()];

  /** True when the key has no history left (only after compaction). */
  isEmpty(): boolean {
    return this.generations.length === 1 && this.current().revs.length === 0;
  }

  /** True when the newest revision is a live put. */
  isLive(): boolean {
    return this.current().revs.length > 0;
  }

  put(main: number, sub: number): void {
    const g = this.current();
    if (g.revs.length === 0) g.created = main;
    appendRevision(g, main, sub);
    g.version++;
  }

  /** Rebuilding from disk: the record carries the generation's creation and version. */
  restorePut(main: number, sub: number, created: number, version: number): void {
    const g = this.current();
    if (g.revs.length === 0) g.created = created;
    appendRevision(g, main, sub);
    g.version = version;
  }

  tombstone(main: number, sub: number): void {
    assert(this.isLive(), 'tombstone of a key that is not live');
    this.put(main, sub);
    this.generations.push(emptyGeneration());
  }

  /** The live put visible at revision atRev, if any. */
  get(atRev: number): KeyAt | undefined {
    const g = this.findGeneration(atRev);
    if (g === undefined) return undefined;
    for (let i = g.revs.length - 2; i >= 0; i -= 2) {
      const main = g.revs[i] as number;
      if (main <= atRev) {
        const newerPuts = (g.revs.length - 2 - i) / 2;
        return { modified: { main, sub: g.revs[i + 1] as number }, created: g.created, version: g.version - newerPuts };
      }
    }
    return undefined;
  }

  /**
   * Drops history below atRev, keeping the newest revision at or below it unless
   * that is a tombstone; adds the kept revision ids to `available`.
   */
  compact(atRev: number, available: Set<string>): void {
    assert(!this.isEmpty(), 'compact of an empty key history');
    const [genIdx, revIdx] = this.doCompact(atRev, available);
    let first = genIdx;
    const g = this.generations[genIdx] as Generation;
    if (g.revs.length > 0) {
      if (revIdx !== -1) g.revs = g.revs.slice(revIdx);
      if (g.revs.length === 2 && genIdx !== this.generations.length - 1) {
        // Only the tombstone is left: the whole generation goes.
        available.delete(revisionId(g.revs[0] as number, g.revs[1] as number));
        first++;
      }
    }
    if (first > 0) this.generations = this.generations.slice(first);
  }

  /** What compact(atRev) would keep, without changing anything. */
  keep(atRev: number, available: Set<string>): void {
    if (this.isEmpty()) return;
    const [genIdx, revIdx] = this.doCompact(atRev, available);
    const g = this.generations[genIdx] as Generation;
    if (g.revs.length > 0 && revIdx === g.revs.length - 2 && genIdx !== this.generations.length - 1) {
      available.delete(revisionId(g.revs[revIdx] as number, g.revs[revIdx + 1] as number));
    }
  }

  /** Finds the generation atRev falls in and the index of its newest rev <= atRev (-1: none). */
  private doCompact(atRev: number, available: Set<string>): [number, number] {
    let genIdx = 0;
    while (genIdx < this.generations.length - 1) {
      const revs = (this.generations[genIdx] as Generation).revs;
      if ((revs[revs.length - 2] as number) > atRev) break;
      genIdx++;
    }
    const revs = (this.generations[genIdx] as Generation).revs;
    for (let i = revs.length - 2; i >= 0; i -= 2) {
      if ((revs[i] as number) <= atRev) {
        available.add(revisionId(revs[i] as number, revs[i + 1] as number));
        return [genIdx, i];
      }
    }
    return [genIdx, -1];
  }

  private findGeneration(atRev: number): Generation | undefined {
    const last = this.generations.length - 1;
    for (let i = last; i >= 0; i--) {
      const g = this.generations[i] as Generation;
      if (g.revs.length === 0) continue;
      if (i !== last && (g.revs[g.revs.length - 2] as number) <= atRev) return undefined;
      if ((g.revs[0] as number) <= atRev) return g;
    }
    return undefined;
  }

  private current(): Generation {
    return this.generations[this.generations.length - 1] as Generation;
  }
}
