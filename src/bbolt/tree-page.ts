// Decodes one branch or leaf page (a file page with its overflow, or an inline
// bucket's page) into its elements, checking that every element and every key and
// value lies inside the page.
import {
  BRANCH_ELEMENT_BYTES,
  BRANCH_PAGE_FLAG,
  BUCKET_LEAF_FLAG,
  BboltFormatError,
  LEAF_ELEMENT_BYTES,
  LEAF_PAGE_FLAG,
  PAGE_COUNT_OFFSET,
  PAGE_FLAGS_OFFSET,
  PAGE_HEADER_BYTES,
} from './bbolt-format.js';

export interface LeafElement {
  /** The page it was found on (for an inline bucket, the page holding it), for error messages. */
  readonly pageId: number;
  readonly isBucket: boolean;
  readonly key: Buffer;
  readonly value: Buffer;
}

export interface BranchElement {
  readonly key: Buffer;
  readonly childPgid: number;
}

export type TreePage =
  | { readonly kind: 'leaf'; readonly elements: readonly LeafElement[] }
  | { readonly kind: 'branch'; readonly elements: readonly BranchElement[] };

/** Where a page came from, for error messages: its own id, or the page holding the inline bucket. */
export interface PagePlace {
  readonly pageId: number;
  readonly inline: boolean;
}

/**
 * `span` is the whole page including overflow; `pgidLimit` is the meta's high-water
 * mark, which every child of a branch must be below.
 */
export function decodeTreePage(span: Buffer, place: PagePlace, pgidLimit: number): TreePage {
  const flags = span.readUInt16LE(PAGE_FLAGS_OFFSET);
  const count = span.readUInt16LE(PAGE_COUNT_OFFSET);
  const label = place.inline ? 'inline bucket page' : 'page';
  if (PAGE_HEADER_BYTES + count * LEAF_ELEMENT_BYTES > span.length) {
    throw new BboltFormatError(`${label} has ${count} elements, more than fit in ${span.length} bytes`, place.pageId);
  }
  if (flags === LEAF_PAGE_FLAG) return { kind: 'leaf', elements: decodeLeafElements(span, count, place) };
  if (flags === BRANCH_PAGE_FLAG && !place.inline) {
    if (count === 0) throw new BboltFormatError('branch page has no elements', place.pageId);
    return { kind: 'branch', elements: decodeBranchElements(span, count, place, pgidLimit) };
  }
  throw new BboltFormatError(`${label} has flags 0x${flags.toString(16)} where a ${place.inline ? 'leaf' : 'branch or leaf'} page belongs`, place.pageId);
}

function decodeLeafElements(span: Buffer, count: number, place: PagePlace): LeafElement[] {
  const elements: LeafElement[] = [];
  for (let i = 0; i < count; i++) {
    const at = PAGE_HEADER_BYTES + i * LEAF_ELEMENT_BYTES;
    const flags = span.readUInt32LE(at);
    if ((flags & ~BUCKET_LEAF_FLAG) !== 0) throw new BboltFormatError(`leaf element ${i} has unknown flags 0x${flags.toString(16)}`, place.pageId);
    const start = at + span.readUInt32LE(at + 4);
    const keyBytes = span.readUInt32LE(at + 8);
    const valueBytes = span.readUInt32LE(at + 12);
    const end = start + keyBytes + valueBytes;
    if (end > span.length) {
      throw new BboltFormatError(`leaf element ${i} reaches byte ${end}, outside its ${span.length}-byte page`, place.pageId);
    }
    elements.push({
      pageId: place.pageId,
      isBucket: flags === BUCKET_LEAF_FLAG,
      key: span.subarray(start, start + keyBytes),
      value: span.subarray(start + keyBytes, end),
    });
  }
  return elements;
}

function decodeBranchElements(span: Buffer, count: number, place: PagePlace, pgidLimit: number): BranchElement[] {
  const elements: BranchElement[] = [];
  for (let i = 0; i < count; i++) {
    const at = PAGE_HEADER_BYTES + i * BRANCH_ELEMENT_BYTES;
    const start = at + span.readUInt32LE(at);
    const end = start + span.readUInt32LE(at + 4);
    if (end > span.length) {
      throw new BboltFormatError(`branch element ${i} reaches byte ${end}, outside its ${span.length}-byte page`, place.pageId);
    }
    const child = span.readBigUInt64LE(at + 8);
    // Pages 0 and 1 are the metas; nothing in a tree may point at them.
    if (child < 2n || child >= BigInt(pgidLimit)) {
      throw new BboltFormatError(`branch element ${i} points at page ${child}, outside 2..${pgidLimit - 1}`, place.pageId);
    }
    elements.push({ key: span.subarray(start, end), childPgid: Number(child) });
  }
  return elements;
}
