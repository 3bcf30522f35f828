// The second pass of a streamed bbolt file: the pages in page-id order, built into
// blocks as the caller pulls them. Metas, freelist, the root bucket and every branch
// page come from the plan; leaves are built from a second read of each bucket, which
// must give exactly what the first read gave (one read transaction).
import { assert } from '../util/assert.js';
import {
  FREELIST_PAGE_FLAG,
  LEAF_ELEMENT_BYTES,
  LEAF_PAGE_FLAG,
  PAGE_COUNT_OFFSET,
  PAGE_FLAGS_OFFSET,
  PAGE_HEADER_BYTES,
  PAGE_ID_OFFSET,
  PAGE_OVERFLOW_OFFSET,
  putPgid,
  putUint32LE,
} from './bbolt-format.js';
import type { BboltStreamPlan, PlannedBucket } from './bbolt-stream-plan.js';
import { encodeMetaPage } from './meta-page.js';
import { PageBlocks } from './page-blocks.js';
import { encodeBranchPage, encodeLeafPage } from './tree-builder.js';
import type { LeafPlan, TreeLayout } from './tree-layout.js';

/** Bytes copied in a loop rather than through a view and set(), which costs more for short keys. */
const COPY_BY_LOOP_BYTES_MAX = 64;

/**
 * The file in blocks of `blockBytes` (the last one may be shorter), in order; iterate it
 * once. Each block has `headroomBytes` of its own before it (see PageBlocks).
 */
export function* bboltStreamBlocks(plan: BboltStreamPlan, blockBytes: number, headroomBytes = 0): Generator<Buffer> {
  const out = new PageBlocks(blockBytes, headroomBytes);
  for (const txid of [0n, 1n]) {
    const meta = { pageBytes: plan.pageBytes, flags: 0, rootPgid: BigInt(plan.root.rootPgid), rootSequence: 0n, freelistPgid: BigInt(plan.freelistPgid), pgid: BigInt(plan.pageCount), txid };
    put(out, encodeMetaPage(meta), Number(txid));
  }
  const freelist = out.reserve(plan.pageBytes);
  freelist.writeBigUInt64LE(BigInt(plan.freelistPgid), PAGE_ID_OFFSET);
  freelist.writeUInt16LE(FREELIST_PAGE_FLAG, PAGE_FLAGS_OFFSET);
  out.commit();
  putBranches(out, plan.root, plan.rootLeaves, plan.pageBytes);
  let first = 0;
  plan.rootLeaves.counts.forEach((count, i) => {
    put(out, encodeLeafPage(plan.rootElements.slice(first, first + count), plan.pageBytes), plan.root.leafPgids[i]!);
    first += count;
  });
  for (const bucket of plan.buckets) {
    if (bucket.layout === undefined) continue;
    putBranches(out, bucket.layout, bucket.leaves, plan.pageBytes);
    yield* bucketLeaves(out, bucket, bucket.layout, plan.pageBytes);
  }
  yield* out.takeFull();
  const last = out.finish();
  if (last.length > 0) yield last;
}

/** Copies a page built elsewhere into the output and stamps its id. */
function put(out: PageBlocks, page: Buffer, pgid: number): void {
  const target = out.reserve(page.length);
  page.copy(target);
  putPgid(target, PAGE_ID_OFFSET, pgid);
  out.commit();
}

function putBranches(out: PageBlocks, layout: TreeLayout, leaves: LeafPlan, pageBytes: number): void {
  layout.branchLevels.forEach((level, depth) => {
    const below = layout.branchLevels[depth + 1];
    for (const page of level) {
      const children = [];
      for (let i = page.start; i < page.end; i++) {
        children.push(below === undefined ? { key: leaves.firstKeys[i]!, pgid: layout.leafPgids[i]! } : { key: below[i]!.firstKey, pgid: below[i]!.pgid });
      }
      const encoded = encodeBranchPage(children, pageBytes);
      assert(encoded.length === page.span * pageBytes, 'branch page size differs from its plan');
      put(out, encoded, page.pgid);
    }
  });
}

/** The bucket's leaves from its second read, built in place; a visit stops once a block is full, to be yielded. */
function* bucketLeaves(out: PageBlocks, bucket: PlannedBucket, layout: TreeLayout, pageBytes: number): Generator<Buffer> {
  const filler = new LeafFiller(out, bucket, layout, pageBytes);
  let from: Buffer | undefined;
  // Each visit fills at least one block or ends the bucket, so this ends within the bucket's blocks + 1 visits.
  while (!filler.done) {
    bucket.bucket.visit(from, filler.takeKey, filler.takeValue, filler.visitor);
    if (!filler.done && !out.hasFull) throw changedUnderneath(bucket, `ended at leaf ${filler.leaf} of ${layout.leafPgids.length}`);
    yield* out.takeFull();
    from = bucket.leaves.firstKeys[filler.leaf];
  }
}

/** Writes each entry's key and value straight from the reader's buffer into the leaf the plan put it in. */
class LeafFiller {
  leaf = 0;
  private page: Buffer = Buffer.alloc(0);
  private count = 0;
  private index = 0;
  private data = 0;
  private keyAt = 0;

  constructor(
    private readonly out: PageBlocks,
    private readonly bucket: PlannedBucket,
    private readonly layout: TreeLayout,
    private readonly pageBytes: number,
  ) {
    this.startLeaf();
  }

  get done(): boolean {
    return this.leaf === this.layout.leafPgids.length;
  }

  readonly takeKey = (source: Uint8Array, start: number, end: number): number => {
    if (this.done) throw changedUnderneath(this.bucket, 'has more entries than planned');
    const bytes = end - start;
    const at = PAGE_HEADER_BYTES + this.index * LEAF_ELEMENT_BYTES;
    // Flags stay 0 (a plain value); pos counts from the element itself.
    putUint32LE(this.page, at + 4, this.data - at);
    putUint32LE(this.page, at + 8, bytes);
    this.keyAt = this.data;
    this.copyIn(source, start, bytes);
    return bytes;
  };

  readonly takeValue = (source: Uint8Array, bytes: number): number => {
    putUint32LE(this.page, PAGE_HEADER_BYTES + this.index * LEAF_ELEMENT_BYTES + 12, bytes);
    this.copyIn(source, 0, bytes);
    return bytes;
  };

  /** Returns false to stop the visit at a leaf boundary once a block is full. */
  readonly visitor = (keyBytes: number): boolean => {
    if (this.index === 0) {
      const first = this.bucket.leaves.firstKeys[this.leaf]!;
      if (first.compare(this.page, this.keyAt, this.keyAt + keyBytes) !== 0) throw changedUnderneath(this.bucket, `leaf ${this.leaf} starts at another key`);
    }
    if (++this.index < this.count) return true;
    this.out.commit();
    this.leaf++;
    if (!this.done) this.startLeaf();
    return !this.out.hasFull;
  };

  private copyIn(source: Uint8Array, start: number, bytes: number): void {
    if (this.data + bytes > this.page.length) throw changedUnderneath(this.bucket, `leaf ${this.leaf} outgrew its planned span`);
    if (bytes <= COPY_BY_LOOP_BYTES_MAX) for (let i = 0; i < bytes; i++) this.page[this.data + i] = source[start + i]!;
    // A plain view: a Buffer's subarray() builds a Buffer, through Node's constructor, per value.
    else this.page.set(new Uint8Array(source.buffer, source.byteOffset + start, bytes), this.data);
    this.data += bytes;
  }

  /** Reserves the next leaf and writes its header; empty leaves (an empty bucket's root) are complete at once. */
  private startLeaf(): void {
    // Each pass finishes an empty leaf or returns, so this ends within the bucket's leaves.
    while (!this.done) {
      const { spans, counts } = this.bucket.leaves;
      this.count = counts[this.leaf]!;
      this.page = this.out.reserve(spans[this.leaf]! * this.pageBytes);
      putPgid(this.page, PAGE_ID_OFFSET, this.layout.leafPgids[this.leaf]!);
      this.page.writeUInt16LE(LEAF_PAGE_FLAG, PAGE_FLAGS_OFFSET);
      this.page.writeUInt16LE(this.count, PAGE_COUNT_OFFSET);
      this.page.writeUInt32LE(spans[this.leaf]! - 1, PAGE_OVERFLOW_OFFSET);
      this.index = 0;
      this.data = PAGE_HEADER_BYTES + this.count * LEAF_ELEMENT_BYTES;
      if (this.count > 0) return;
      this.out.commit();
      this.leaf++;
    }
  }
}

function changedUnderneath(bucket: PlannedBucket, what: string): Error {
  // One read transaction serves both passes, so a difference is a bug, not bad input.
  return new Error(`bucket ${bucket.name.toString('utf8')} changed between the two passes of a streamed bbolt file: ${what}`);
}
