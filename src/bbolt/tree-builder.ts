// Builds one bucket's B+tree bottom-up from its elements in key order: leaf pages
// are packed and appended as the elements stream past, then branch levels are built
// from the first key of each page below. A small bucket with no nested buckets is
// kept inline in its parent's value, as bbolt does.
import {
  BRANCH_ELEMENT_BYTES,
  BRANCH_PAGE_FLAG,
  BUCKET_HEADER_BYTES,
  BUCKET_LEAF_FLAG,
  LEAF_ELEMENT_BYTES,
  LEAF_PAGE_FLAG,
  PAGE_COUNT_OFFSET,
  PAGE_FLAGS_OFFSET,
  PAGE_HEADER_BYTES,
  PAGE_OVERFLOW_OFFSET,
  putPgid,
  putUint32LE,
} from './bbolt-format.js';
import type { PageAppender } from './page-appender.js';

export interface TreeElement {
  readonly key: Buffer;
  readonly value: Buffer;
  /** A nested bucket: value is its bucket header (and inline page). */
  readonly isBucket: boolean;
}

interface ChildRef {
  readonly key: Buffer;
  readonly pgid: number;
}

/** What a finished bucket looks like to its parent: a root page, or inline bytes. */
export type BuiltTree = { readonly kind: 'page'; readonly rootPgid: number } | { readonly kind: 'inline'; readonly value: Buffer };

/** bbolt's rule: a bucket this small (header, elements and data) lives inside its parent. */
export function inlineBucketBytesMax(pageBytes: number): number {
  return pageBytes / 4;
}

/** Elements arrive in batches, strictly ascending by key (the caller checks that). */
export async function buildTree(
  batches: AsyncIterable<readonly TreeElement[]>,
  out: PageAppender,
  allowInline: boolean,
): Promise<BuiltTree> {
  let page: TreeElement[] = [];
  let pageBytes = PAGE_HEADER_BYTES;
  let hasNestedBucket = false;
  const leaves: ChildRef[] = [];
  for await (const batch of batches) {
    for (const element of batch) {
      const size = LEAF_ELEMENT_BYTES + element.key.length + element.value.length;
      if (page.length > 0 && pageBytes + size > out.pageBytes) {
        leaves.push({ key: Buffer.from(page[0]!.key), pgid: await out.append(encodeLeafPage(page, out.pageBytes)) });
        page = [];
        pageBytes = PAGE_HEADER_BYTES;
      }
      page.push(element);
      pageBytes += size;
      hasNestedBucket ||= element.isBucket;
    }
  }
  if (leaves.length === 0 && allowInline && !hasNestedBucket && pageBytes <= inlineBucketBytesMax(out.pageBytes)) {
    return { kind: 'inline', value: Buffer.concat([Buffer.alloc(BUCKET_HEADER_BYTES), encodeLeafPage(page, 0)]) };
  }
  // An empty bucket still needs a (empty) root leaf when it cannot be inline.
  if (page.length > 0 || leaves.length === 0) leaves.push({ key: page[0]?.key ?? Buffer.alloc(0), pgid: await out.append(encodeLeafPage(page, out.pageBytes)) });
  return { kind: 'page', rootPgid: await buildBranches(leaves, out) };
}

/** Branch levels until one page covers everything; the levels shrink, so this ends. */
async function buildBranches(level: ChildRef[], out: PageAppender): Promise<number> {
  let children = level;
  while (children.length > 1) {
    const parents: ChildRef[] = [];
    let page: ChildRef[] = [];
    let pageBytes = PAGE_HEADER_BYTES;
    for (const child of children) {
      const size = BRANCH_ELEMENT_BYTES + child.key.length;
      // At least two children per branch page, so each level is smaller than the last.
      if (page.length > 1 && pageBytes + size > out.pageBytes) {
        parents.push({ key: page[0]!.key, pgid: await out.append(encodeBranchPage(page, out.pageBytes)) });
        page = [];
        pageBytes = PAGE_HEADER_BYTES;
      }
      page.push(child);
      pageBytes += size;
    }
    parents.push({ key: page[0]!.key, pgid: await out.append(encodeBranchPage(page, out.pageBytes)) });
    children = parents;
  }
  return children[0]!.pgid;
}

/** `pageBytes` 0: exactly as long as the content (an inline page); else whole pages. */
export function encodeLeafPage(elements: readonly TreeElement[], pageBytes: number): Buffer {
  let dataBytes = 0;
  for (const e of elements) dataBytes += e.key.length + e.value.length;
  const page = allocPage(PAGE_HEADER_BYTES + elements.length * LEAF_ELEMENT_BYTES + dataBytes, pageBytes);
  writeHeader(page, LEAF_PAGE_FLAG, elements.length, pageBytes);
  let data = PAGE_HEADER_BYTES + elements.length * LEAF_ELEMENT_BYTES;
  elements.forEach((e, i) => {
    const at = PAGE_HEADER_BYTES + i * LEAF_ELEMENT_BYTES;
    page.writeUInt32LE(e.isBucket ? BUCKET_LEAF_FLAG : 0, at);
    page.writeUInt32LE(data - at, at + 4);
    page.writeUInt32LE(e.key.length, at + 8);
    page.writeUInt32LE(e.value.length, at + 12);
    data += e.key.copy(page, data);
    data += e.value.copy(page, data);
  });
  return page;
}

export function encodeBranchPage(children: readonly ChildRef[], pageBytes: number): Buffer {
  let keyBytes = 0;
  for (const c of children) keyBytes += c.key.length;
  const page = allocPage(PAGE_HEADER_BYTES + children.length * BRANCH_ELEMENT_BYTES + keyBytes, pageBytes);
  writeHeader(page, BRANCH_PAGE_FLAG, children.length, pageBytes);
  let data = PAGE_HEADER_BYTES + children.length * BRANCH_ELEMENT_BYTES;
  children.forEach((c, i) => {
    const at = PAGE_HEADER_BYTES + i * BRANCH_ELEMENT_BYTES;
    putUint32LE(page, at, data - at);
    putUint32LE(page, at + 4, c.key.length);
    putPgid(page, at + 8, c.pgid);
    // set() of a whole array makes no view; Buffer's copy() makes one per call.
    page.set(c.key, data);
    data += c.key.length;
  });
  return page;
}

/** Pages are carved from zeroed slabs this large: one allocation per 256 pages, not per page. */
const PAGE_SLAB_BYTES = 1024 * 1024;
let pageSlab = Buffer.alloc(PAGE_SLAB_BYTES);
let pageSlabUsed = 0;

function allocPage(contentBytes: number, pageBytes: number): Buffer {
  const bytes = pageBytes === 0 ? contentBytes : Math.ceil(contentBytes / pageBytes) * pageBytes;
  if (bytes > PAGE_SLAB_BYTES / 4) return Buffer.alloc(bytes);
  if (pageSlabUsed + bytes > PAGE_SLAB_BYTES) {
    pageSlab = Buffer.alloc(PAGE_SLAB_BYTES);
    pageSlabUsed = 0;
  }
  const page = pageSlab.subarray(pageSlabUsed, pageSlabUsed + bytes);
  pageSlabUsed += bytes;
  return page;
}

/** The appender stamps the page id; overflow counts the pages past the first. */
function writeHeader(page: Buffer, flags: number, count: number, pageBytes: number): void {
  page.writeUInt16LE(flags, PAGE_FLAGS_OFFSET);
  page.writeUInt16LE(count, PAGE_COUNT_OFFSET);
  page.writeUInt32LE(pageBytes === 0 ? 0 : page.length / pageBytes - 1, PAGE_OVERFLOW_OFFSET);
}
