// Checks an LMDB database file before it is memory-mapped. LMDB trusts its file:
// a truncated file or broken meta pages make it fault (SIGBUS/SIGSEGV) instead of
// failing, so start-up reads the two meta pages itself and refuses, with the path
// and the reason, a file it cannot trust.
import { open, stat } from 'node:fs/promises';

const LMDB_MAGIC = 0xbeefc0de;
const META_PAGES = 2;
const DEFAULT_PAGE_BYTES = 4096;
// Offsets inside a meta page of the LMDB format lmdb-js ships (24-byte page header).
const OFFSET_MAGIC = 24;
const OFFSET_PAGE_SIZE = 48;
const OFFSET_LAST_PAGE = 0x90;
const OFFSET_TXN_ID = 0x98;
const META_BYTES_READ = 0xa0;

export class BackendFileError extends Error {
  constructor(path: string, reason: string) {
    super(`backend database ${path} cannot be opened: ${reason}`);
    this.name = 'BackendFileError';
  }
}

interface Meta {
  readonly pageBytes: number;
  readonly lastPage: bigint;
  readonly txnId: bigint;
}

function readMeta(page: Buffer): Meta | null {
  if (page.length < META_BYTES_READ || page.readUInt32LE(OFFSET_MAGIC) !== LMDB_MAGIC) return null;
  const pageBytes = page.readUInt32LE(OFFSET_PAGE_SIZE);
  if (pageBytes < 512 || pageBytes > 65536 || (pageBytes & (pageBytes - 1)) !== 0) return null;
  return { pageBytes, lastPage: page.readBigUInt64LE(OFFSET_LAST_PAGE), txnId: page.readBigUInt64LE(OFFSET_TXN_ID) };
}

/** Resolves if the file is absent (a new member) or looks whole; throws BackendFileError otherwise. */
export async function checkBackendFile(path: string): Promise<void> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return;
    throw error;
  }
  if (size < META_PAGES * DEFAULT_PAGE_BYTES) throw new BackendFileError(path, `file has ${size} bytes, fewer than its meta pages need`);
  const file = await open(path, 'r');
  try {
    const first = Buffer.alloc(META_BYTES_READ);
    await file.read(first, 0, META_BYTES_READ, 0);
    const pageBytes = readMeta(first)?.pageBytes ?? DEFAULT_PAGE_BYTES;
    const second = Buffer.alloc(META_BYTES_READ);
    await file.read(second, 0, META_BYTES_READ, pageBytes);
    const metas = [readMeta(first), readMeta(second)].filter((meta): meta is Meta => meta !== null);
    if (metas.length === 0) throw new BackendFileError(path, 'no valid meta page (not an LMDB file, or its header is corrupt)');
    const newest = metas.reduce((a, b) => (b.txnId > a.txnId ? b : a));
    const needed = (Number(newest.lastPage) + 1) * newest.pageBytes;
    if (needed > size) throw new BackendFileError(path, `file is truncated: its meta page needs ${needed} bytes, the file has ${size}`);
  } finally {
    await file.close();
  }
}
