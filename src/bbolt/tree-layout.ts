// Where every page of one bucket's B+tree goes, computed from the sizes of its
// elements alone: leaves are packed by the same rule as tree-builder, branch levels
// grouped above them, and page ids handed out (branches top-down, then leaves) from a
// base, so a streamed file can name its root pages before any leaf is built.
import { BRANCH_ELEMENT_BYTES, LEAF_ELEMENT_BYTES, PAGE_HEADER_BYTES } from './bbolt-format.js';

/** Leaf pages as the packer closed them: first key, pages spanned and elements held. */
export interface LeafPlan {
  readonly firstKeys: Buffer[];
  readonly spans: number[];
  readonly counts: number[];
}

/** One branch page: its id, pages spanned, and the range [start, end) of the level below it covers. */
export interface BranchPlan {
  readonly pgid: number;
  readonly span: number;
  readonly start: number;
  readonly end: number;
  readonly firstKey: Buffer;
}

export interface TreeLayout {
  readonly rootPgid: number;
  /** Branch levels, the top (one page) first; each page's range indexes the next level, the last level's the leaves. */
  readonly branchLevels: readonly (readonly BranchPlan[])[];
  readonly leafPgids: readonly number[];
  /** Pages the tree takes, from its base. */
  readonly pageCount: number;
}

export function pagesSpanned(contentBytes: number, pageBytes: number): number {
  return Math.ceil(contentBytes / pageBytes);
}

/** Packs leaf elements as they stream past: one page until the next element would not fit (at least one per page). */
export class LeafPacker {
  readonly plan: LeafPlan = { firstKeys: [], spans: [], counts: [] };
  private used = PAGE_HEADER_BYTES;
  private count = 0;

  constructor(private readonly pageBytes: number) {}

  /** Bytes the open page holds (header included). */
  get openPageBytes(): number {
    return this.used;
  }

  /** True when the element starts a new page (the previous one is closed); the key is bytes 0..keyBytes of `key`. */
  add(key: Buffer, valueBytes: number, keyBytes = key.length): boolean {
    const size = LEAF_ELEMENT_BYTES + keyBytes + valueBytes;
    let started = false;
    if (this.count > 0 && this.used + size > this.pageBytes) {
      this.close();
      started = true;
    }
    if (this.count === 0) this.plan.firstKeys.push(Buffer.from(key.subarray(0, keyBytes)));
    this.used += size;
    this.count++;
    return started;
  }

  /** Closes the last page; an empty bucket still gets one (empty) root leaf. */
  finish(): LeafPlan {
    if (this.count > 0 || this.plan.spans.length === 0) {
      if (this.count === 0) this.plan.firstKeys.push(Buffer.alloc(0));
      this.close();
    }
    return this.plan;
  }

  private close(): void {
    this.plan.spans.push(pagesSpanned(this.used, this.pageBytes));
    this.plan.counts.push(this.count);
    this.used = PAGE_HEADER_BYTES;
    this.count = 0;
  }
}

interface Group {
  readonly span: number;
  readonly start: number;
  readonly end: number;
  readonly firstKey: Buffer;
}

/** Groups a level's pages into branch pages (at least two children each, so each level is smaller); bounded by the level's length. */
function groupLevel(keys: readonly Buffer[], pageBytes: number): Group[] {
  const groups: Group[] = [];
  let start = 0;
  let used = PAGE_HEADER_BYTES;
  for (let i = 0; i < keys.length; i++) {
    const size = BRANCH_ELEMENT_BYTES + keys[i]!.length;
    if (i - start > 1 && used + size > pageBytes) {
      groups.push({ span: pagesSpanned(used, pageBytes), start, end: i, firstKey: keys[start]! });
      start = i;
      used = PAGE_HEADER_BYTES;
    }
    used += size;
  }
  groups.push({ span: pagesSpanned(used, pageBytes), start, end: keys.length, firstKey: keys[start]! });
  return groups;
}

/** The tree over `leaves`, its pages numbered from `basePgid`. */
export function layoutTree(leaves: LeafPlan, basePgid: number, pageBytes: number): TreeLayout {
  const levels: Group[][] = [];
  let keys: readonly Buffer[] = leaves.firstKeys;
  // Each level has fewer pages than the one below, so this ends within log2(leaves) levels.
  while (keys.length > 1) {
    const level = groupLevel(keys, pageBytes);
    levels.unshift(level);
    keys = level.map((g) => g.firstKey);
  }
  let pgid = basePgid;
  const branchLevels = levels.map((level) =>
    level.map((g) => {
      const page: BranchPlan = { pgid, span: g.span, start: g.start, end: g.end, firstKey: g.firstKey };
      pgid += g.span;
      return page;
    }),
  );
  const leafPgids: number[] = [];
  for (const span of leaves.spans) {
    leafPgids.push(pgid);
    pgid += span;
  }
  const rootPgid = branchLevels[0]?.[0]?.pgid ?? leafPgids[0]!;
  return { rootPgid, branchLevels, leafPgids, pageCount: pgid - basePgid };
}
