// Reads a bbolt file (an etcd snapshot or member/snap/db): picks the meta bbolt
// would use, checks the file's bounds, and lists buckets and their key/values in key
// order. Every structural problem is a BboltFormatError naming the page and reason.
import {
  BBOLT_PAGE_BYTES_MAX,
  BBOLT_PAGE_BYTES_MIN,
  BboltFormatError,
  FREELIST_COUNT_OVERFLOW,
  FREELIST_PAGE_FLAG,
  META_BYTES,
  NO_FREELIST_PGID,
  PAGE_COUNT_OFFSET,
  PAGE_FLAGS_OFFSET,
  PAGE_HEADER_BYTES,
  PAGE_ID_OFFSET,
  PAGE_OVERFLOW_OFFSET,
} from './bbolt-format.js';
import { bucketRootOf, walkBucket, type BucketRoot } from './bucket-walk.js';
import { chooseMeta, decodeMetaPage, type BboltMeta, type MetaResult } from './meta-page.js';
import { FilePageSource, MemoryPageSource, type PageSource } from './page-source.js';

/** One entry of a bucket: a plain key/value, or a nested bucket (value is its raw header). */
export interface BboltItem {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly isBucket: boolean;
}

export type BucketPath = string | readonly string[];

const FREELIST_ID_BYTES = 8;

export class BboltReader {
  readonly meta: BboltMeta;
  readonly pageBytes: number;
  /** Pages in use (the meta's high-water mark); the file may be longer. */
  readonly pageCount: number;

  private constructor(private readonly source: PageSource) {
    this.meta = readMeta(source);
    this.pageBytes = this.meta.pageBytes;
    this.pageCount = checkBounds(this.meta, source.sizeBytes);
    this.checkFreelist();
  }

  /** A path is read page by page; bytes (e.g. a received snapshot) are read in place. */
  static open(source: string | Uint8Array): BboltReader {
    const pages = typeof source === 'string' ? new FilePageSource(source) : new MemoryPageSource(source);
    try {
      return new BboltReader(pages);
    } catch (error) {
      pages.close();
      throw error;
    }
  }

  /** The top-level bucket names, in order. */
  buckets(): string[] {
    return this.subBuckets([]);
  }

  /** Names of the buckets nested directly in the bucket at `path` ([] is the top level). */
  subBuckets(path: BucketPath): string[] {
    const names: string[] = [];
    for (const item of this.items(path)) if (item.isBucket) names.push(item.key.toString('utf8'));
    return names;
  }

  hasBucket(path: BucketPath): boolean {
    return this.findBucket(toPath(path)) !== undefined;
  }

  /** Every entry of the bucket at `path`, nested buckets included, in key order. */
  *items(path: BucketPath): Generator<BboltItem> {
    const root = this.findBucket(toPath(path));
    if (root === undefined) throw new BboltFormatError(`no bucket ${JSON.stringify(toPath(path))}`);
    yield* walkBucket(root, this.loadPage, this.pageCount);
  }

  /** The plain key/values of a bucket (nested buckets skipped), in key order. */
  *entries(path: BucketPath): Generator<[Buffer, Buffer]> {
    for (const item of this.items(path)) if (!item.isBucket) yield [item.key, item.value];
  }

  /** Calls `visitor` for each plain key/value in key order; returns how many it saw. */
  forEach(path: BucketPath, visitor: (key: Buffer, value: Buffer) => void): number {
    let count = 0;
    for (const [key, value] of this.entries(path)) {
      visitor(key, value);
      count++;
    }
    return count;
  }

  close(): void {
    this.source.close();
  }

  private findBucket(path: readonly string[]): BucketRoot | undefined {
    let root: BucketRoot = { kind: 'page', pgid: Number(this.meta.rootPgid) };
    // A bucket whose root is an ancestor's would nest forever for a caller walking sub-buckets.
    const ancestors = new Set<number>([root.pgid]);
    for (const name of path) {
      const want = Buffer.from(name, 'utf8');
      let next: BucketRoot | undefined;
      for (const e of walkBucket(root, this.loadPage, this.pageCount)) {
        const order = Buffer.compare(e.key, want);
        if (order > 0) break;
        if (order === 0 && e.isBucket) next = bucketRootOf(e.value, e.pageId, this.pageCount);
        if (order === 0) break;
      }
      if (next === undefined) return undefined;
      if (next.kind === 'page' && ancestors.has(next.pgid)) throw new BboltFormatError(`bucket ${name} has an enclosing bucket's root as its own`, next.pgid);
      if (next.kind === 'page') ancestors.add(next.pgid);
      root = next;
    }
    return root;
  }

  private readonly loadPage = (pgid: number): Buffer => {
    const first = this.source.read(pgid * this.pageBytes, this.pageBytes);
    const id = first.readBigUInt64LE(PAGE_ID_OFFSET);
    if (id !== BigInt(pgid)) throw new BboltFormatError(`header says it is page ${id}`, pgid);
    const overflow = first.readUInt32LE(PAGE_OVERFLOW_OFFSET);
    if (pgid + overflow >= this.pageCount) {
      throw new BboltFormatError(`${overflow} overflow pages run past the high-water mark ${this.pageCount}`, pgid);
    }
    return overflow === 0 ? first : this.source.read(pgid * this.pageBytes, (overflow + 1) * this.pageBytes);
  };

  /** The freelist is not needed to read, but a file whose meta points at garbage is not a bbolt file. */
  private checkFreelist(): void {
    if (this.meta.freelistPgid === NO_FREELIST_PGID) return;
    const pgid = this.meta.freelistPgid;
    if (pgid < 2n || pgid >= BigInt(this.pageCount)) throw new BboltFormatError(`freelist page ${pgid} is outside 2..${this.pageCount - 1}`);
    const page = this.loadPage(Number(pgid));
    if ((page.readUInt16LE(PAGE_FLAGS_OFFSET) & FREELIST_PAGE_FLAG) === 0) {
      throw new BboltFormatError('the meta names it as the freelist but it is not a freelist page', Number(pgid));
    }
    const count = page.readUInt16LE(PAGE_COUNT_OFFSET);
    const ids = count === FREELIST_COUNT_OVERFLOW ? Number(page.readBigUInt64LE(PAGE_HEADER_BYTES)) + 1 : count;
    if (PAGE_HEADER_BYTES + ids * FREELIST_ID_BYTES > page.length) {
      throw new BboltFormatError(`freelist of ${ids} ids does not fit in its ${page.length} bytes`, Number(pgid));
    }
  }
}

function toPath(path: BucketPath): readonly string[] {
  return typeof path === 'string' ? [path] : path;
}

function readMeta(source: PageSource): BboltMeta {
  const header = PAGE_HEADER_BYTES + META_BYTES;
  if (source.sizeBytes < header) throw new BboltFormatError(`file has ${source.sizeBytes} bytes, too small for a meta page`);
  const first = decodeMetaPage(source.read(0, header));
  const candidates = first.ok ? [first.meta.pageBytes] : pageSizeCandidates();
  let second: MetaResult = { ok: false, reason: 'not found at any page size' };
  // Meta 1 sits one page in; if meta 0 cannot tell us the page size, try each size bbolt allows.
  for (const pageBytes of candidates) {
    if (!isPageSize(pageBytes)) return failPageSize(pageBytes);
    if (pageBytes + header > source.sizeBytes) continue;
    const result = decodeMetaPage(source.read(pageBytes, header));
    second = result.ok && result.meta.pageBytes !== pageBytes
      ? { ok: false, reason: `claims page size ${result.meta.pageBytes}, found at offset ${pageBytes}` }
      : result;
    if (second.ok) break;
  }
  const meta = chooseMeta(first, second);
  if (!isPageSize(meta.pageBytes)) return failPageSize(meta.pageBytes);
  return meta;
}

function checkBounds(meta: BboltMeta, sizeBytes: number): number {
  const METAS_AND_ROOT_PAGES_MIN = 3n;
  if (meta.pgid < METAS_AND_ROOT_PAGES_MIN) throw new BboltFormatError(`high-water mark ${meta.pgid} leaves no room for a root page`);
  const needBytes = meta.pgid * BigInt(meta.pageBytes);
  if (needBytes > BigInt(sizeBytes)) {
    throw new BboltFormatError(`file truncated: ${meta.pgid} pages of ${meta.pageBytes} bytes need ${needBytes} bytes, file has ${sizeBytes}`);
  }
  if (meta.rootPgid < 2n || meta.rootPgid >= meta.pgid) throw new BboltFormatError(`root bucket page ${meta.rootPgid} is outside 2..${meta.pgid - 1n}`);
  return Number(meta.pgid);
}

function pageSizeCandidates(): number[] {
  const sizes: number[] = [];
  for (let size = BBOLT_PAGE_BYTES_MIN; size <= BBOLT_PAGE_BYTES_MAX; size *= 2) sizes.push(size);
  return sizes;
}

function isPageSize(bytes: number): boolean {
  return bytes >= BBOLT_PAGE_BYTES_MIN && bytes <= BBOLT_PAGE_BYTES_MAX && (bytes & (bytes - 1)) === 0;
}

function failPageSize(bytes: number): never {
  throw new BboltFormatError(`page size ${bytes} is not a power of two in ${BBOLT_PAGE_BYTES_MIN}..${BBOLT_PAGE_BYTES_MAX}`);
}
