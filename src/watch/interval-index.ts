// Finds every stored key range that contains a key (a stabbing query), in
// O(log n + matches): a treap ordered by range start, each node knowing the
// largest end in its subtree. Identical ranges share one node.

/** An exclusive range end; null is unbounded. */
type RangeEnd = string | null;

interface Node<T> {
  readonly from: string;
  readonly to: RangeEnd;
  readonly priority: number;
  readonly members: Set<T>;
  left: Node<T> | null;
  right: Node<T> | null;
  maxTo: RangeEnd;
}

function endAbove(to: RangeEnd, key: string): boolean {
  return to === null || key < to;
}

function maxEnd(a: RangeEnd, b: RangeEnd): RangeEnd {
  if (a === null || b === null) return null;
  return a > b ? a : b;
}

function compareRanges(aFrom: string, aTo: RangeEnd, bFrom: string, bTo: RangeEnd): number {
  if (aFrom !== bFrom) return aFrom < bFrom ? -1 : 1;
  if (aTo === bTo) return 0;
  if (aTo === null) return 1;
  if (bTo === null) return -1;
  return aTo < bTo ? -1 : 1;
}

function refresh<T>(node: Node<T>): void {
  let max = node.to;
  if (node.left !== null) max = maxEnd(max, node.left.maxTo);
  if (node.right !== null) max = maxEnd(max, node.right.maxTo);
  node.maxTo = max;
}

function rotateRight<T>(node: Node<T>): Node<T> {
  const pivot = node.left as Node<T>;
  node.left = pivot.right;
  pivot.right = node;
  refresh(node);
  refresh(pivot);
  return pivot;
}

function rotateLeft<T>(node: Node<T>): Node<T> {
  const pivot = node.right as Node<T>;
  node.right = pivot.left;
  pivot.left = node;
  refresh(node);
  refresh(pivot);
  return pivot;
}

export class IntervalIndex<T> {
  private root: Node<T> | null = null;
  private readonly nodes = new Map<string, Node<T>>();
  private size = 0;
  // A fixed-seed xorshift keeps the tree shape reproducible run to run.
  private seed = 0x2545f491;

  /** How many members are stored, over all ranges. */
  get memberCount(): number {
    return this.size;
  }

  add(from: string, to: RangeEnd, member: T): void {
    const id = nodeId(from, to);
    const existing = this.nodes.get(id);
    if (existing !== undefined) {
      if (!existing.members.has(member)) this.size++;
      existing.members.add(member);
      return;
    }
    const node: Node<T> = { from, to, priority: this.nextPriority(), members: new Set([member]), left: null, right: null, maxTo: to };
    this.nodes.set(id, node);
    this.size++;
    this.root = this.insert(this.root, node);
  }

  /** Returns whether the member was stored under that range. */
  delete(from: string, to: RangeEnd, member: T): boolean {
    const id = nodeId(from, to);
    const node = this.nodes.get(id);
    if (node === undefined || !node.members.delete(member)) return false;
    this.size--;
    if (node.members.size === 0) {
      this.nodes.delete(id);
      this.root = this.remove(this.root, from, to);
    }
    return true;
  }

  /** Calls `visit` for each member whose range contains `key`. */
  stab(key: string, visit: (member: T) => void): void {
    this.stabFrom(this.root, key, visit);
  }

  private stabFrom(node: Node<T> | null, key: string, visit: (member: T) => void): void {
    if (node === null || !endAbove(node.maxTo, key)) return;
    this.stabFrom(node.left, key, visit);
    // Every start in the right subtree is >= this one: past the key, nothing there matches.
    if (node.from > key) return;
    if (endAbove(node.to, key)) node.members.forEach(visit);
    this.stabFrom(node.right, key, visit);
  }

  private insert(node: Node<T> | null, fresh: Node<T>): Node<T> {
    if (node === null) return fresh;
    if (compareRanges(fresh.from, fresh.to, node.from, node.to) < 0) {
      node.left = this.insert(node.left, fresh);
      if (node.left.priority > node.priority) return rotateRight(node);
    } else {
      node.right = this.insert(node.right, fresh);
      if (node.right.priority > node.priority) return rotateLeft(node);
    }
    refresh(node);
    return node;
  }

  private remove(node: Node<T> | null, from: string, to: RangeEnd): Node<T> | null {
    if (node === null) return null;
    const order = compareRanges(from, to, node.from, node.to);
    if (order < 0) node.left = this.remove(node.left, from, to);
    else if (order > 0) node.right = this.remove(node.right, from, to);
    else {
      if (node.left === null) return node.right;
      if (node.right === null) return node.left;
      // Rotate the higher-priority child up, then keep removing below it.
      if (node.left.priority > node.right.priority) {
        const top = rotateRight(node);
        top.right = this.remove(top.right, from, to);
        refresh(top);
        return top;
      }
      const top = rotateLeft(node);
      top.left = this.remove(top.left, from, to);
      refresh(top);
      return top;
    }
    refresh(node);
    return node;
  }

  private nextPriority(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }
}

function nodeId(from: string, to: RangeEnd): string {
  // A NUL-free marker for "unbounded" cannot collide with a real end, which is a whole string.
  return to === null ? `${from.length}:${from}|*` : `${from.length}:${from}|=${to}`;
}
