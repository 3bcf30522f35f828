// bbolt's two meta pages: decoding with every check bbolt makes (magic, version,
// checksum) plus the bounds a reader needs, and encoding them for the writer.
import {
  BBOLT_MAGIC,
  BBOLT_VERSION,
  BboltFormatError,
  META_BYTES,
  META_CHECKSUM_OFFSET,
  META_FLAGS_OFFSET,
  META_FREELIST_OFFSET,
  META_MAGIC_OFFSET,
  META_PAGE_FLAG,
  META_PAGE_SIZE_OFFSET,
  META_PGID_OFFSET,
  META_ROOT_OFFSET,
  META_ROOT_SEQUENCE_OFFSET,
  META_TXID_OFFSET,
  META_VERSION_OFFSET,
  PAGE_FLAGS_OFFSET,
  PAGE_HEADER_BYTES,
  PAGE_ID_OFFSET,
} from './bbolt-format.js';
import { fnv1a64 } from './fnv64.js';

export interface BboltMeta {
  readonly pageBytes: number;
  readonly flags: number;
  readonly rootPgid: bigint;
  readonly rootSequence: bigint;
  readonly freelistPgid: bigint;
  /** The high-water mark: every page id in use is below it. */
  readonly pgid: bigint;
  readonly txid: bigint;
}

/** Either the decoded meta or why it is not usable; a reader tries the other page before giving up. */
export type MetaResult = { readonly ok: true; readonly meta: BboltMeta } | { readonly ok: false; readonly reason: string };

/** `page` holds at least PAGE_HEADER_BYTES + META_BYTES bytes of page 0 or 1. */
export function decodeMetaPage(page: Buffer): MetaResult {
  if (page.length < PAGE_HEADER_BYTES + META_BYTES) return { ok: false, reason: `meta page has only ${page.length} bytes` };
  if ((page.readUInt16LE(PAGE_FLAGS_OFFSET) & META_PAGE_FLAG) === 0) return { ok: false, reason: 'not flagged as a meta page' };
  const m = page.subarray(PAGE_HEADER_BYTES, PAGE_HEADER_BYTES + META_BYTES);
  const magic = m.readUInt32LE(META_MAGIC_OFFSET);
  if (magic !== BBOLT_MAGIC) return { ok: false, reason: `bad magic 0x${magic.toString(16)}` };
  const version = m.readUInt32LE(META_VERSION_OFFSET);
  if (version !== BBOLT_VERSION) return { ok: false, reason: `unsupported version ${version}` };
  const checksum = m.readBigUInt64LE(META_CHECKSUM_OFFSET);
  // bbolt accepts a zero checksum (files from before checksums existed).
  if (checksum !== 0n && checksum !== fnv1a64(m.subarray(0, META_CHECKSUM_OFFSET))) return { ok: false, reason: 'checksum mismatch' };
  return {
    ok: true,
    meta: {
      pageBytes: m.readUInt32LE(META_PAGE_SIZE_OFFSET),
      flags: m.readUInt32LE(META_FLAGS_OFFSET),
      rootPgid: m.readBigUInt64LE(META_ROOT_OFFSET),
      rootSequence: m.readBigUInt64LE(META_ROOT_SEQUENCE_OFFSET),
      freelistPgid: m.readBigUInt64LE(META_FREELIST_OFFSET),
      pgid: m.readBigUInt64LE(META_PGID_OFFSET),
      txid: m.readBigUInt64LE(META_TXID_OFFSET),
    },
  };
}

/** Page 0 or 1 of a new file; bbolt puts a meta on page txid % 2. */
export function encodeMetaPage(meta: BboltMeta): Buffer {
  const page = Buffer.alloc(meta.pageBytes);
  page.writeBigUInt64LE(meta.txid % 2n, PAGE_ID_OFFSET);
  page.writeUInt16LE(META_PAGE_FLAG, PAGE_FLAGS_OFFSET);
  const m = page.subarray(PAGE_HEADER_BYTES, PAGE_HEADER_BYTES + META_BYTES);
  m.writeUInt32LE(BBOLT_MAGIC, META_MAGIC_OFFSET);
  m.writeUInt32LE(BBOLT_VERSION, META_VERSION_OFFSET);
  m.writeUInt32LE(meta.pageBytes, META_PAGE_SIZE_OFFSET);
  m.writeUInt32LE(meta.flags, META_FLAGS_OFFSET);
  m.writeBigUInt64LE(meta.rootPgid, META_ROOT_OFFSET);
  m.writeBigUInt64LE(meta.rootSequence, META_ROOT_SEQUENCE_OFFSET);
  m.writeBigUInt64LE(meta.freelistPgid, META_FREELIST_OFFSET);
  m.writeBigUInt64LE(meta.pgid, META_PGID_OFFSET);
  m.writeBigUInt64LE(meta.txid, META_TXID_OFFSET);
  m.writeBigUInt64LE(fnv1a64(m.subarray(0, META_CHECKSUM_OFFSET)), META_CHECKSUM_OFFSET);
  return page;
}

/** The meta bbolt would use: the valid one with the higher txid. */
export function chooseMeta(first: MetaResult, second: MetaResult): BboltMeta {
  if (first.ok && second.ok) return first.meta.txid >= second.meta.txid ? first.meta : second.meta;
  if (first.ok) return first.meta;
  if (second.ok) return second.meta;
  throw new BboltFormatError(`no valid meta page (page 0: ${first.reason}; page 1: ${second.reason})`);
}
