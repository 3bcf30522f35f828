// Walks one bucket's B+tree in key order without recursion: every page is visited
// at most once (a page seen twice is a cycle or a shared page), the depth is capped,
// and keys must come out strictly ascending, so a corrupt file can neither loop nor
// hand a caller unsorted data.
import { BUCKET_HEADER_BYTES, BboltFormatError, PAGE_HEADER_BYTES } from './bbolt-format.js';
import { decodeTreePage, type LeafElement, type TreePage } from './tree-page.js';

/** Far beyond any real tree (4 KiB pages, >= 2 children per branch); deeper means corruption. */
export const TREE_DEPTH_MAX = 64;

/** A bucket's tree: a root page in the file, or an inline page inside its parent's value. */
export type BucketRoot =
  | { readonly kind: 'page'; readonly pgid: number }
  | { readonly kind: 'inline'; readonly page: Buffer; readonly hostPageId: number };

/** Reads a page with its overflow, checked against the file's bounds. */
export type PageLoader = (pgid: number) => Buffer;

interface Frame {
  readonly page: TreePage;
  readonly pageId: number;
  index: number;
}

export function* walkBucket(root: BucketRoot, loadPage: PageLoader, pgidLimit: number): Generator<LeafElement> {
  const visited = new Set<number>();
  const open = (pgid: number): Frame => {
    if (visited.has(pgid)) throw new BboltFormatError('page is reached twice in one bucket (a cycle or a shared page)', pgid);
    visited.add(pgid);
    return { page: decodeTreePage(loadPage(pgid), { pageId: pgid, inline: false }, pgidLimit), pageId: pgid, index: 0 };
  };
  const stack: Frame[] = [
    root.kind === 'page'
      ? open(root.pgid)
      : { page: decodeTreePage(root.page, { pageId: root.hostPageId, inline: true }, pgidLimit), pageId: root.hostPageId, index: 0 },
  ];
  let previousKey: Buffer | undefined;
  // Each pass either pops a frame or advances an index; pages are never revisited,
  // so the passes are bounded by the elements of the pages in the file.
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.index >= frame.page.elements.length) {
      stack.pop();
      continue;
    }
    const at = frame.index++;
    if (frame.page.kind === 'branch') {
      if (stack.length >= TREE_DEPTH_MAX) throw new BboltFormatError(`tree deeper than ${TREE_DEPTH_MAX} levels`, frame.pageId);
      stack.push(open(frame.page.elements[at]!.childPgid));
      continue;
    }
    const element = frame.page.elements[at]!;
    if (previousKey !== undefined && Buffer.compare(previousKey, element.key) >= 0) {
      throw new BboltFormatError(`keys out of order: ${hexKey(element.key)} after ${hexKey(previousKey)}`, frame.pageId);
    }
    previousKey = element.key;
    yield element;
  }
}

/** The tree a bucket-valued leaf element points at. */
export function bucketRootOf(value: Buffer, hostPageId: number, pgidLimit: number): BucketRoot {
  if (value.length < BUCKET_HEADER_BYTES) {
    throw new BboltFormatError(`bucket value has ${value.length} bytes, less than a bucket header`, hostPageId);
  }
  const rootPgid = value.readBigUInt64LE(0);
  if (rootPgid === 0n) {
    const page = value.subarray(BUCKET_HEADER_BYTES);
    if (page.length < PAGE_HEADER_BYTES) throw new BboltFormatError('inline bucket is shorter than a page header', hostPageId);
    return { kind: 'inline', page, hostPageId };
  }
  if (rootPgid < 2n || rootPgid >= BigInt(pgidLimit)) {
    throw new BboltFormatError(`bucket root page ${rootPgid} is outside 2..${pgidLimit - 1}`, hostPageId);
  }
  return { kind: 'page', pgid: Number(rootPgid) };
}

function hexKey(key: Buffer): string {
  const KEY_HEX_SHOWN_BYTES = 24;
  return key.subarray(0, KEY_HEX_SHOWN_BYTES).toString('hex') + (key.length > KEY_HEX_SHOWN_BYTES ? '…' : '');
}
