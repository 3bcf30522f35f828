// bbolt's on-disk layout as etcd's snapshots use it (little-endian, amd64 build):
// sizes, offsets and flag values, and the one error type for a malformed file.

export const BBOLT_MAGIC = 0xed0cdaed;
export const BBOLT_VERSION = 2;
export const BBOLT_PAGE_BYTES_DEFAULT = 4096;
/** Page sizes outside this range are not something bbolt writes; seen in a file they mean corruption. */
export const BBOLT_PAGE_BYTES_MIN = 512;
export const BBOLT_PAGE_BYTES_MAX = 64 * 1024;

/** Page header: id u64, flags u16, count u16, overflow u32. */
export const PAGE_HEADER_BYTES = 16;
export const PAGE_ID_OFFSET = 0;
export const PAGE_FLAGS_OFFSET = 8;
export const PAGE_COUNT_OFFSET = 10;
export const PAGE_OVERFLOW_OFFSET = 12;

export const BRANCH_PAGE_FLAG = 0x01;
export const LEAF_PAGE_FLAG = 0x02;
export const META_PAGE_FLAG = 0x04;
export const FREELIST_PAGE_FLAG = 0x10;

/** Leaf element: flags u32, pos u32, ksize u32, vsize u32; pos counts from the element itself. */
export const LEAF_ELEMENT_BYTES = 16;
/** Branch element: pos u32, ksize u32, child pgid u64. */
export const BRANCH_ELEMENT_BYTES = 16;
/** A leaf element whose value is a bucket (a bucket header, maybe followed by an inline page). */
export const BUCKET_LEAF_FLAG = 0x01;

/** Bucket header: root pgid u64 (0: the bucket is inline), sequence u64. */
export const BUCKET_HEADER_BYTES = 16;

/** Meta, right after the page header of pages 0 and 1. */
export const META_MAGIC_OFFSET = 0;
export const META_VERSION_OFFSET = 4;
export const META_PAGE_SIZE_OFFSET = 8;
export const META_FLAGS_OFFSET = 12;
export const META_ROOT_OFFSET = 16;
export const META_ROOT_SEQUENCE_OFFSET = 24;
export const META_FREELIST_OFFSET = 32;
export const META_PGID_OFFSET = 40;
export const META_TXID_OFFSET = 48;
export const META_CHECKSUM_OFFSET = 56;
export const META_BYTES = 64;

/** A meta whose freelist is this has none on disk (bbolt's NoFreelistSync). */
export const NO_FREELIST_PGID = 0xffff_ffff_ffff_ffffn;
/** A freelist page whose count is this keeps the real count in its first u64. */
export const FREELIST_COUNT_OVERFLOW = 0xffff;

/** bbolt's own limits on what one key or value may be. */
export const BBOLT_KEY_BYTES_MAX = 32 * 1024;
export const BBOLT_VALUE_BYTES_MAX = 2 ** 31 - 2;

const UINT32_SPAN = 2 ** 32;

/** Writes a u32 little-endian (in range by construction): cheaper per element than Buffer's checked writer. */
export function putUint32LE(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value;
  target[offset + 1] = value >>> 8;
  target[offset + 2] = value >>> 16;
  target[offset + 3] = value >>> 24;
}

/** Writes a page id (a safe integer) as u64 little-endian, without a BigInt per page. */
export function putPgid(target: Uint8Array, offset: number, pgid: number): void {
  putUint32LE(target, offset, pgid % UINT32_SPAN);
  putUint32LE(target, offset + 4, Math.floor(pgid / UINT32_SPAN));
}

export class BboltFormatError extends Error {
  constructor(
    message: string,
    /** The page the problem was found on, when there is one. */
    readonly pageId?: number,
  ) {
    super(pageId === undefined ? `bbolt: ${message}` : `bbolt: page ${pageId}: ${message}`);
    this.name = 'BboltFormatError';
  }
}
