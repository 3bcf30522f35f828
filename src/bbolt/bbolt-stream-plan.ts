// The first of the two passes of a streamed bbolt file: reads every top-level
// bucket once for its key and value sizes and lays out the whole file (metas,
// freelist, the root bucket's tree, then each bucket's branches and leaves), so the
// metas, which name the root page and the page count, can be sent first. Small
// buckets are kept inline in the root, as bbolt does; their few entries are held.
import { BBOLT_KEY_BYTES_MAX, BBOLT_VALUE_BYTES_MAX, BUCKET_HEADER_BYTES } from './bbolt-format.js';
import { BboltWriteError, checkKey } from './bbolt-writer.js';
import type { InPlaceBucket } from './in-place-bucket.js';
import { encodeLeafPage, inlineBucketBytesMax, type TreeElement } from './tree-builder.js';
import { LeafPacker, layoutTree, type LeafPlan, type TreeLayout } from './tree-layout.js';


export interface PlannedBucket {
  readonly name: Buffer;
  /** Read once per pass; both passes must see the same entries. */
  readonly bucket: InPlaceBucket;
  readonly keyCount: number;
  readonly leaves: LeafPlan;
  /** Set when the bucket lives inside the root bucket's page (then it has no pages of its own). */
  readonly inline: Buffer | undefined;
  /** Set for a bucket with pages of its own. */
  readonly layout: TreeLayout | undefined;
}

export interface BboltStreamPlan {
  readonly pageBytes: number;
  /** Pages 0..pageCount-1, the meta's high-water mark. */
  readonly pageCount: number;
  readonly freelistPgid: number;
  readonly rootElements: readonly TreeElement[];
  readonly rootLeaves: LeafPlan;
  readonly root: TreeLayout;
  readonly buckets: readonly PlannedBucket[];
  readonly keyCount: number;
}

/** Metas on pages 0 and 1, the (empty) freelist next. */
const FREELIST_PGID = 2;
const ROOT_BASE_PGID = 3;
/** Entries sized between turns of the event loop, so a large first pass does not stall the server. */
const PLAN_YIELD_ENTRIES = 20_000;
const ZERO_BYTE = Buffer.from([0]);

export async function planBboltStream(sources: ReadonlyMap<string, InPlaceBucket>, pageBytes: number): Promise<BboltStreamPlan> {
  const names = [...sources.keys()].map((name) => Buffer.from(name, 'utf8')).sort(Buffer.compare);
  const sized: Omit<PlannedBucket, 'layout'>[] = [];
  for (const name of names) sized.push(await sizeBucket(checkKey(name), sources.get(name.toString('utf8'))!, pageBytes));
  // The root's elements have their final sizes already: a bucket's value is inline bytes or a fixed-size header.
  const rootPacker = new LeafPacker(pageBytes);
  for (const b of sized) rootPacker.add(b.name, b.inline?.length ?? BUCKET_HEADER_BYTES);
  const rootLeaves = rootPacker.finish();
  const root = layoutTree(rootLeaves, ROOT_BASE_PGID, pageBytes);
  let nextPgid = ROOT_BASE_PGID + root.pageCount;
  const buckets: PlannedBucket[] = sized.map((b) => {
    if (b.inline !== undefined) return { ...b, layout: undefined };
    const layout = layoutTree(b.leaves, nextPgid, pageBytes);
    nextPgid += layout.pageCount;
    return { ...b, layout };
  });
  const rootElements = buckets.map((b): TreeElement => ({ key: b.name, value: b.inline ?? bucketHeader(b.layout!.rootPgid), isBucket: true }));
  const keyCount = buckets.reduce((sum, b) => sum + b.keyCount, 0);
  return { pageBytes, pageCount: nextPgid, freelistPgid: FREELIST_PGID, rootElements, rootLeaves, root, buckets, keyCount };
}

async function sizeBucket(name: Buffer, bucket: InPlaceBucket, pageBytes: number): Promise<Omit<PlannedBucket, 'layout'>> {
  const packer = new LeafPacker(pageBytes);
  const inlineBytesMax = inlineBucketBytesMax(pageBytes);
  // The entries of a bucket that may still turn out small enough to be inline.
  let small: TreeElement[] | undefined = [];
  let smallValue: Buffer | undefined;
  // The key just read, copied over the one before it (only from the first byte that differs).
  const key = Buffer.allocUnsafe(BBOLT_KEY_BYTES_MAX);
  let keyBytes = 0;
  let keyCount = 0;
  let outOfOrder: string | undefined;
  const takeKey = (source: Uint8Array, start: number, end: number): number => {
    const bytes = end - start;
    if (bytes > BBOLT_KEY_BYTES_MAX) return bytes;
    const shared = Math.min(bytes, keyBytes);
    let i = 0;
    while (i < shared && source[start + i] === key[i]) i++;
    // bbolt's order (bytes.Compare): the first byte that differs decides, else the shorter key is first.
    const ascending = i < shared ? source[start + i]! > key[i]! : bytes > keyBytes;
    if (!ascending && keyCount > 0) outOfOrder ??= `${Buffer.from(source.subarray(start, end)).toString('hex')} after ${key.toString('hex', 0, keyBytes)}`;
    for (; i < bytes; i++) key[i] = source[start + i]!;
    keyBytes = bytes;
    return bytes;
  };
  const takeValue = (source: Uint8Array, bytes: number): number => {
    smallValue = small !== undefined && bytes <= inlineBytesMax ? Buffer.from(source.subarray(0, bytes)) : undefined;
    return bytes;
  };
  const visitor = (keyBytesRead: number, valueBytes: number): boolean => {
    if (keyBytesRead === 0 || keyBytesRead > BBOLT_KEY_BYTES_MAX) throw new BboltWriteError(`key of ${keyBytesRead} bytes: bbolt keys are 1..${BBOLT_KEY_BYTES_MAX} bytes`);
    if (valueBytes > BBOLT_VALUE_BYTES_MAX) throw new BboltWriteError(`value of ${valueBytes} bytes is over bbolt's limit`);
    if (outOfOrder !== undefined) throw new BboltWriteError(`keys not strictly ascending: ${outOfOrder}`);
    const started = packer.add(key, valueBytes, keyBytes);
    if (small !== undefined && (started || packer.openPageBytes > inlineBytesMax)) small = undefined;
    small?.push({ key: Buffer.from(key.subarray(0, keyBytes)), value: smallValue!, isBucket: false });
    return ++keyCount % PLAN_YIELD_ENTRIES !== 0;
  };
  let from: Buffer | undefined;
  // Each visit reads PLAN_YIELD_ENTRIES more entries or reaches the end, so this ends with the bucket.
  for (;;) {
    const before = keyCount;
    bucket.visit(from, takeKey, takeValue, visitor);
    if (keyCount === before || keyCount % PLAN_YIELD_ENTRIES !== 0) break;
    // Resume right after the last key: the smallest key above it is itself plus a zero byte.
    from = Buffer.concat([key.subarray(0, keyBytes), ZERO_BYTE]);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const leaves = packer.finish();
  const inline = small === undefined ? undefined : Buffer.concat([Buffer.alloc(BUCKET_HEADER_BYTES), encodeLeafPage(small, 0)]);
  return { name, bucket, keyCount, leaves, inline };
}

function bucketHeader(rootPgid: number): Buffer {
  const header = Buffer.alloc(BUCKET_HEADER_BYTES);
  header.writeBigUInt64LE(BigInt(rootPgid), 0);
  return header;
}
