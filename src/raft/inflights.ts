// The bounded window of appends sent to one follower and not yet acknowledged,
// which throttles a leader sending to a follower that cannot keep up.

import { assert } from '../util/assert.js';

export class Inflights {
  /** Last entry index of each in-flight append, oldest first. At most capacityMsgs long. */
  private readonly lastIndexes: number[] = [];

  constructor(readonly capacityMsgs: number) {
    assert(capacityMsgs > 0, 'inflight capacity must be positive');
  }

  add(lastIndex: number): void {
    assert(!this.full(), 'add to a full inflight window');
    this.lastIndexes.push(lastIndex);
  }

  /** Frees every append whose last index is at or below `to`. */
  freeLE(to: number): void {
    let n = 0;
    while (n < this.lastIndexes.length && (this.lastIndexes[n] ?? Infinity) <= to) n++;
    this.lastIndexes.splice(0, n);
  }

  freeFirstOne(): void {
    this.lastIndexes.shift();
  }

  full(): boolean {
    return this.lastIndexes.length >= this.capacityMsgs;
  }

  count(): number {
    return this.lastIndexes.length;
  }

  reset(): void {
    this.lastIndexes.length = 0;
  }
}
