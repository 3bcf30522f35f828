// The in-memory ordered index from key bytes to each key's revision history,
// a B+tree keyed by 'latin1' strings (which compare in byte order).
import { OrderedMap } from '../backend/ordered-map.js';
import { KeyHistory, type KeyAt } from './key-history.js';

/** A key range in index form: `to` undefined means no upper bound. */
export interface IndexRange {
  readonly from: string;
  readonly to: string | undefined;
  /** The range is the single key `from`. */
  readonly single: boolean;
}

const ALL_FROM_KEY = 0x00;

/** etcd's range convention: empty end is one key, [0x00] is "from key onwards". */
export function toIndexRange(key: Buffer, rangeEnd: Buffer): IndexRange {
  const from = key.toString('latin1');
  if (rangeEnd.length === 0) return { from, to: undefined, single: true };
  if (rangeEnd.length === 1 && rangeEnd[0] === ALL_FROM_KEY) return { from, to: undefined, single: false };
  return { from, to: rangeEnd.toString('latin1'), single: false };
}

export class KeyIndex {
  /** Ordered, for ranges. */
  private readonly tree = new OrderedMap<KeyHistory>();
  /** The same entries hashed: point reads and writes skip the tree descent. */
  private readonly byKey = new Map<string, KeyHistory>();

  get keyCount(): number {
    return this.byKey.size;
  }

  history(k: string): KeyHistory | undefined {
    return this.byKey.get(k);
  }

  /** The history for key `k` (a 'latin1' string), created if new. */
  historyFor(k: string): KeyHistory {
    let h = this.byKey.get(k);
    if (h === undefined) {
      h = new KeyHistory();
      this.tree.set(k, h);
      this.byKey.set(k, h);
    }
    return h;
  }

  /**
   * Visits keys in the range that are live at atRev, ascending, until visit
   * returns false.
   */
  forEachLive(range: IndexRange, atRev: number, visit: (k: string, h: KeyHistory, at: KeyAt) => boolean | void): void {
    if (range.single) {
      const h = this.byKey.get(range.from);
      const at = h?.get(atRev);
      if (h !== undefined && at !== undefined) visit(range.from, h, at);
      return;
    }
    if (range.to !== undefined && range.from >= range.to) return;
    this.tree.forEachInRange(range.from, range.to, (k, h) => {
      const at = h.get(atRev);
      return at === undefined ? true : visit(k, h, at);
    });
  }

  /**
   * Compacts at atRev up to maxKeys keys starting at `from`, adding the
   * revision ids to keep on disk to `available`. Returns where to resume, or
   * undefined when the last key is done. Writes between chunks are safe: they
   * only add revisions above atRev.
   */
  compactChunk(atRev: number, from: string, maxKeys: number, available: Set<string>): string | undefined {
    const emptied: string[] = [];
    let last: string | undefined;
    let visited = 0;
    this.tree.forEachInRange(from, undefined, (k, h) => {
      h.compact(atRev, available);
      if (h.isEmpty()) emptied.push(k);
      last = k;
      visited++;
      return visited < maxKeys;
    });
    for (const k of emptied) {
      this.tree.delete(k);
      this.byKey.delete(k);
    }
    // The smallest string after `last`: resuming there skips nothing.
    return visited < maxKeys || last === undefined ? undefined : `${last}\x00`;
  }

  /** Compacts every key at atRev in one go; returns the revision ids to keep. */
  compact(atRev: number): Set<string> {
    const available = new Set<string>();
    this.compactChunk(atRev, '', Number.MAX_SAFE_INTEGER, available);
    return available;
  }

  /**
   * Adds what compact(atRev) would keep for up to maxKeys keys from `from`;
   * returns where to resume, or undefined when done.
   */
  keepChunk(atRev: number, from: string, maxKeys: number, available: Set<string>): string | undefined {
    let last: string | undefined;
    let visited = 0;
    this.tree.forEachInRange(from, undefined, (k, h) => {
      h.keep(atRev, available);
      last = k;
      visited++;
      return visited < maxKeys;
    });
    return visited < maxKeys || last === undefined ? undefined : `${last}\x00`;
  }

  /** The revision ids compact(atRev) would keep. */
  keep(atRev: number): Set<string> {
    const available = new Set<string>();
    this.keepChunk(atRev, '', Number.MAX_SAFE_INTEGER, available);
    return available;
  }
}
