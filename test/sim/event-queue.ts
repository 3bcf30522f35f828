// The simulation's only clock: a priority queue of timed events. Ties break by
// scheduling order, so a seed always replays the same interleaving.

import { assert } from '../../src/util/assert.js';

/** Events waiting at once; more means a runaway feedback loop in the harness. */
export const QUEUED_EVENTS_MAX = 500_000;

interface Slot<E> {
  readonly atNs: number;
  readonly seq: number;
  readonly event: E;
}

export class EventQueue<E> {
  private readonly heap: Slot<E>[] = [];
  private seq = 0;
  private clockNs = 0;

  get nowNs(): number {
    return this.clockNs;
  }

  get size(): number {
    return this.heap.length;
  }

  schedule(afterNs: number, event: E): void {
    assert(afterNs >= 0, `event scheduled ${afterNs} ns in the past`);
    assert(this.heap.length < QUEUED_EVENTS_MAX, 'event queue overflow');
    this.heap.push({ atNs: this.clockNs + Math.round(afterNs), seq: this.seq++, event });
    this.siftUp(this.heap.length - 1);
  }

  /** The next event, advancing the clock to its time; undefined when nothing is left. */
  pop(): E | undefined {
    const top = this.heap[0];
    if (top === undefined) return undefined;
    const last = this.heap.pop() as Slot<E>;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.siftDown(0);
    }
    this.clockNs = top.atNs;
    return top.event;
  }

  peekTimeNs(): number | undefined {
    return this.heap[0]?.atNs;
  }

  private less(i: number, j: number): boolean {
    const a = this.heap[i] as Slot<E>;
    const b = this.heap[j] as Slot<E>;
    return a.atNs < b.atNs || (a.atNs === b.atNs && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i] as Slot<E>;
    this.heap[i] = this.heap[j] as Slot<E>;
    this.heap[j] = a;
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >>> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < this.heap.length && this.less(l, best)) best = l;
      if (r < this.heap.length && this.less(r, best)) best = r;
      if (best === i) return;
      this.swap(i, best);
      i = best;
    }
  }
}
