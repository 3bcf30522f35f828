// A set of watchers that can be asked "who watches this key?" cheaply: single
// keys through a map, ranges through an interval index (etcd's watcherGroup).
import { IntervalIndex } from './interval-index.js';
import type { Watcher } from './watcher.js';

export class WatcherGroup {
  private readonly singles = new Map<string, Set<Watcher>>();
  private readonly ranges = new IntervalIndex<Watcher>();
  private readonly members = new Set<Watcher>();

  get size(): number {
    return this.members.size;
  }

  has(watcher: Watcher): boolean {
    return this.members.has(watcher);
  }

  add(watcher: Watcher): void {
    if (this.members.has(watcher)) return;
    this.members.add(watcher);
    const span = watcher.span;
    if (!span.single) {
      this.ranges.add(span.from, span.to, watcher);
      return;
    }
    const set = this.singles.get(span.from);
    if (set === undefined) this.singles.set(span.from, new Set([watcher]));
    else set.add(watcher);
  }

  delete(watcher: Watcher): boolean {
    if (!this.members.delete(watcher)) return false;
    const span = watcher.span;
    if (!span.single) {
      this.ranges.delete(span.from, span.to, watcher);
      return true;
    }
    const set = this.singles.get(span.from);
    if (set !== undefined) {
      set.delete(watcher);
      if (set.size === 0) this.singles.delete(span.from);
    }
    return true;
  }

  /** Calls `visit` once for each watcher whose span holds `key` (latin1). */
  matching(key: string, visit: (watcher: Watcher) => void): void {
    this.singles.get(key)?.forEach(visit);
    if (this.ranges.memberCount > 0) this.ranges.stab(key, visit);
  }

  [Symbol.iterator](): IterableIterator<Watcher> {
    return this.members.values();
  }
}
