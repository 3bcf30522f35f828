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
} from './bbolt-format.js';
import type { BboltStreamPlan, PlannedBucket } from './bbolt-stream-plan.js';
import { encodeMetaPage } from './meta-page.js';
import { PageBlocks } from './page-blocks.js';
import { encodeBranchPage, encodeLeafPage } from './tree-builder.js';
import type { LeafPlan, TreeLayout } from './tree-layout.js';

/** The file in blocks of `blockBytes` (the last one may be shorter), in order; iterate it once. */
export function* bboltStreamBlocks(plan: BboltStreamPlan, blockBytes: number): Generator<Buffer> {
  const out = new PageBlocks(blockBytes);
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
  target.writeBigUInt64LE(BigInt(pgid), PAGE_ID_OFFSET);
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

/** The bucket's leaves from its second read, each checked against the plan; full blocks are yielded as they fill. */
function* bucketLeaves(out: PageBlocks, bucket: PlannedBucket, layout: TreeLayout, pageBytes: number): Generator<Buffer> {
  const { counts, spans, firstKeys } = bucket.leaves;
  const keys: Buffer[] = [];
  const values: Buffer[] = [];
  const entries = bucket.entries()[Symbol.iterator]();
  try {
    for (let leaf = 0; leaf < counts.length; leaf++) {
      const count = counts[leaf]!;
      for (let i = 0; i < count; i++) {
        const next = entries.next();
        if (next.done === true) throw changedUnderneath(bucket, `ended after leaf ${leaf} of ${counts.length}`);
        keys[i] = next.value[0];
        values[i] = next.value[1];
      }
      if (count > 0 && !keys[0]!.equals(firstKeys[leaf]!)) throw changedUnderneath(bucket, `leaf ${leaf} starts at another key`);
      writeLeaf(out.reserve(spans[leaf]! * pageBytes), layout.leafPgids[leaf]!, keys, values, count, pageBytes);
      out.commit();
      const full = out.takeFull();
      if (full.length > 0) yield* full;
    }
    if (entries.next().done !== true) throw changedUnderneath(bucket, 'has more entries than planned');
  } finally {
    entries.return?.();
  }
}

/** A leaf of plain key/values, written in place into a zeroed page of exactly its planned span. */
function writeLeaf(page: Buffer, pgid: number, keys: readonly Buffer[], values: readonly Buffer[], count: number, pageBytes: number): void {
  page.writeBigUInt64LE(BigInt(pgid), PAGE_ID_OFFSET);
  page.writeUInt16LE(LEAF_PAGE_FLAG, PAGE_FLAGS_OFFSET);
  page.writeUInt16LE(count, PAGE_COUNT_OFFSET);
  page.writeUInt32LE(page.length / pageBytes - 1, PAGE_OVERFLOW_OFFSET);
  let data = PAGE_HEADER_BYTES + count * LEAF_ELEMENT_BYTES;
  for (let i = 0; i < count; i++) {
    const key = keys[i]!;
    const value = values[i]!;
    const at = PAGE_HEADER_BYTES + i * LEAF_ELEMENT_BYTES;
    // Flags stay 0 (a plain value); pos counts from the element itself.
    page.writeUInt32LE(data - at, at + 4);
    page.writeUInt32LE(key.length, at + 8);
    page.writeUInt32LE(value.length, at + 12);
    assert(data + key.length + value.length <= page.length, 'leaf content outgrew its planned span');
    data += key.copy(page, data);
    data += value.copy(page, data);
  }
}

function changedUnderneath(bucket: PlannedBucket, what: string): Error {
  // One read transaction serves both passes, so a difference is a bug, not bad input.
  return new Error(`bucket ${bucket.name.toString('utf8')} changed between the two passes of a streamed bbolt file: ${what}`);
}
