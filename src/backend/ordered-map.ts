// An in-memory B+tree from string keys to values, ordered by UTF-16 code unit,
// which for 'latin1' strings is byte order. Used by the memory backend, the write
// overlay of every backend and the MVCC key index.

/** Entries per node before it splits; 64 keeps nodes within a few cache lines of keys. */
const NODE_ENTRIES_MAX = 64;

interface Leaf<V> {
  readonly leaf: true;
  keys: string[];
  vals: V[];
  prev: Leaf<V> | null;
  next: Leaf<V> | null;
}

interface Branch<V> {
  readonly leaf: false;
  /** keys[i] is a lower bound of every key in children[i + 1]. */
  keys: string[];
  children: Array<Node<V>>;
}

type Node<V> = Leaf<V> | Branch<V>;

interface Split<V> {
  readonly separator: string;
  readonly right: Node<V>;
}

function newLeaf<V>(): Leaf<V> {
  return { leaf: true, keys: [], vals: [], prev: null, next: null };
}

/** First index whose key is >= k. */
function lowerBound(keys: readonly string[], k: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose key is > k. */
function upperBound(keys: readonly string[], k: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) <= k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class OrderedMap<V> {
  private root: Node<V> = newLeaf<V>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(k: string): V | undefined {
    const leaf = this.findLeaf(k);
    const i = lowerBound(leaf.keys, k);
    return leaf.keys[i] === k ? leaf.vals[i] : undefined;
  }

  has(k: string): boolean {
    const leaf = this.findLeaf(k);
    return leaf.keys[lowerBound(leaf.keys, k)] === k;
  }

  /** Inserts or replaces; returns true if the key is new. */
  set(k: string, v: V): boolean {
    const before = this.count;
    const split = this.insertInto(this.root, k, v);
    if (split !== undefined) {
      this.root = { leaf: false, keys: [split.separator], children: [this.root, split.right] };
    }
    return this.count > before;
  }

  /** Removes the key; returns true if it was present. */
  delete(k: string): boolean {
    const before = this.count;
    this.deleteFrom(this.root, k);
    // Collapse single-child roots so the height shrinks as the map empties.
    while (!this.root.leaf && this.root.children.length === 1) {
      this.root = this.root.children[0] as Node<V>;
    }
    if (!this.root.leaf && this.root.children.length === 0) this.root = newLeaf<V>();
    return this.count < before;
  }

  clear(): void {
    this.root = newLeaf<V>();
    this.count = 0;
  }

  /** Entries with from <= key < to (to undefined: no upper bound), ascending. */
  *range(from: string, to?: string): Generator<[string, V]> {
    let leaf: Leaf<V> | null = this.findLeaf(from);
    let i = lowerBound(leaf.keys, from);
    while (leaf !== null) {
      const keys = leaf.keys;
      for (; i < keys.length; i++) {
        const k = keys[i] as string;
        if (to !== undefined && k >= to) return;
        yield [k, leaf.vals[i] as V];
      }
      leaf = leaf.next;
      i = 0;
    }
  }

  /**
   * Calls visit for entries with from <= key < to in ascending order until it
   * returns false; faster than range() for hot paths.
   */
  forEachInRange(from: string, to: string | undefined, visit: (k: string, v: V) => boolean | void): void {
    let leaf: Leaf<V> | null = this.findLeaf(from);
    let i = lowerBound(leaf.keys, from);
    while (leaf !== null) {
      const keys = leaf.keys;
      const vals = leaf.vals;
      for (; i < keys.length; i++) {
        const k = keys[i] as string;
        if (to !== undefined && k >= to) return;
        if (visit(k, vals[i] as V) === false) return;
      }
      leaf = leaf.next;
      i = 0;
    }
  }

  /** The greatest entry with key < k, or undefined. */
  lastBefore(k: string): [string, V] | undefined {
    const leaf: Leaf<V> | null = this.findLeaf(k);
    const i = lowerBound(leaf.keys, k) - 1;
    if (i >= 0) return [leaf.keys[i] as string, leaf.vals[i] as V];
    const prev = leaf.prev;
    if (prev === null || prev.keys.length === 0) return undefined;
    const j = prev.keys.length - 1;
    return [prev.keys[j] as string, prev.vals[j] as V];
  }

  private findLeaf(k: string): Leaf<V> {
    let node = this.root;
    while (!node.leaf) node = node.children[upperBound(node.keys, k)] as Node<V>;
    return node;
  }

  private insertInto(node: Node<V>, k: string, v: V): Split<V> | undefined {
    if (node.leaf) {
      const i = lowerBound(node.keys, k);
      if (node.keys[i] === k) {
        node.vals[i] = v;
        return undefined;
      }
      node.keys.splice(i, 0, k);
      node.vals.splice(i, 0, v);
      this.count++;
      return node.keys.length > NODE_ENTRIES_MAX ? splitLeaf(node) : undefined;
    }
    const ci = upperBound(node.keys, k);
    const split = this.insertInto(node.children[ci] as Node<V>, k, v);
    if (split === undefined) return undefined;
    node.keys.splice(ci, 0, split.separator);
    node.children.splice(ci + 1, 0, split.right);
    return node.children.length > NODE_ENTRIES_MAX ? splitBranch(node) : undefined;
  }

  /** Returns true if node became empty and must be unlinked by its parent. */
  private deleteFrom(node: Node<V>, k: string): boolean {
    if (node.leaf) {
      const i = lowerBound(node.keys, k);
      if (node.keys[i] !== k) return false;
      node.keys.splice(i, 1);
      node.vals.splice(i, 1);
      this.count--;
      if (node.keys.length > 0 || node === this.root) return false;
      if (node.prev !== null) node.prev.next = node.next;
      if (node.next !== null) node.next.prev = node.prev;
      return true;
    }
    const ci = upperBound(node.keys, k);
    if (!this.deleteFrom(node.children[ci] as Node<V>, k)) return false;
    node.children.splice(ci, 1);
    node.keys.splice(ci > 0 ? ci - 1 : 0, 1);
    return node.children.length === 0 && node !== this.root;
  }
}

function splitLeaf<V>(node: Leaf<V>): Split<V> {
  const half = node.keys.length >>> 1;
  const right: Leaf<V> = {
    leaf: true,
    keys: node.keys.splice(half),
    vals: node.vals.splice(half),
    prev: node,
    next: node.next,
  };
  if (node.next !== null) node.next.prev = right;
  node.next = right;
  return { separator: right.keys[0] as string, right };
}

function splitBranch<V>(node: Branch<V>): Split<V> {
  const half = node.children.length >>> 1;
  const children = node.children.splice(half);
  const keys = node.keys.splice(half - 1);
  const separator = keys.shift() as string;
  return { separator, right: { leaf: false, keys, children } };
}
