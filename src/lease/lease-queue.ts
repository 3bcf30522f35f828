// A min-heap of (due time, lease ID): the lessor's schedule of when each lease
// must next be looked at (expiry, or a checkpoint). Rescheduling pushes a new
// entry and leaves the old one to be skipped, so the heap is rebuilt from the
// live schedule whenever stale entries outnumber live ones.

interface QueueItem {
  readonly dueMs: number;
  readonly id: bigint;
}

/** Below this many entries stale ones are cheaper to skip than to rebuild away. */
const REBUILD_FLOOR_ENTRIES = 1024;

export class LeaseQueue {
  private heap: QueueItem[] = [];
  /** The one current due time of each scheduled lease; heap entries that disagree are stale. */
  private readonly dueById = new Map<bigint, number>();

  get size(): number {
    return this.dueById.size;
  }

  schedule(id: bigint, dueMs: number): void {
    this.dueById.set(id, dueMs);
    this.push({ dueMs, id });
    if (this.heap.length > REBUILD_FLOOR_ENTRIES && this.heap.length > 2 * this.dueById.size) this.rebuild();
  }

  unschedule(id: bigint): void {
    this.dueById.delete(id);
  }

  clear(): void {
    this.heap = [];
    this.dueById.clear();
  }

  /** Removes and returns the earliest lease due at or before nowMs, if any. */
  popDue(nowMs: number): bigint | undefined {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.dueMs > nowMs) {
        if (top !== undefined && this.dueById.get(top.id) !== top.dueMs) {
          this.pop();
          continue;
        }
        return undefined;
      }
      this.pop();
      if (this.dueById.get(top.id) !== top.dueMs) continue;
      this.dueById.delete(top.id);
      return top.id;
    }
  }

  private rebuild(): void {
    this.heap = [];
    for (const [id, dueMs] of this.dueById) this.push({ dueMs, id });
  }

  private push(item: QueueItem): void {
    const heap = this.heap;
    heap.push(item);
    let at = heap.length - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      const above = heap[parent]!;
      if (above.dueMs <= item.dueMs) break;
      heap[at] = above;
      at = parent;
    }
    heap[at] = item;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let at = 0;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.dueMs < heap[left]!.dueMs ? right : left;
      if (heap[child]!.dueMs >= last.dueMs) break;
      heap[at] = heap[child]!;
      at = child;
    }
    heap[at] = last;
  }
}
