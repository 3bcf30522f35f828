// The durable backend: one lmdb environment (a single file, like etcd's bbolt
// db) with one named database per bucket; each batch commits in one lmdb
// write transaction, so it lands whole or not at all.
import { renameSync, rmSync, statSync } from 'node:fs';
import { open, type Database, type RootDatabase, type Transaction } from 'lmdb';
import { assert } from '../util/assert.js';
import { BUCKET_NAMES, type BackendEntry, type BackendOptions, type BucketName, type InPlaceReader } from './backend.js';
import { BatchingBackend, type CommittedStore, type WriteBatch } from './batching-backend.js';

/** Named databases the environment may hold: the buckets plus room to grow. */
const LMDB_DATABASES_MAX = 32;
/** Where defragment() builds the compacted copy, next to the file. */
const DEFRAG_SUFFIX = '.defrag';
/** lmdb-js keeps its lock file beside a no-subdir database under this suffix. */
const LOCK_SUFFIX = '-lock';
/** LMDB's two meta pages, counted in the in-use size. */
const LMDB_META_PAGES = 2;

type BinaryDb = Database<Buffer, Buffer>;
type ViewDb = Database<unknown, Buffer>;
/** Reads a value in place: `value` is lmdb's own buffer, valid only during the call, `valueBytes` long. */
export type ValueParser<T> = (value: Uint8Array, valueBytes: number) => T;
/** Reads a key in place: bytes start..end of lmdb's own buffer, valid only during the call. */
export type KeyParser<T> = (source: Uint8Array, start: number, end: number) => T;

/** A consistent view of the committed buckets at one moment, for long exports. */
export interface PointInTimeReader {
  /** Every entry of `bucket` in key order, as of the moment the reader was opened. */
  entries(bucket: BucketName): Iterable<readonly [Buffer, Buffer]>;
  /**
   * The entries of `bucket` from `start` in key order, each key and value handed to the
   * parsers in place (no copies), until `visitor` returns false or the bucket ends.
   */
  visit<K, V>(bucket: BucketName, start: Buffer, parseKey: KeyParser<K>, parseValue: ValueParser<V>, visitor: (key: K, value: V) => boolean): void;
  /** Releases the view (and the pages lmdb keeps for it); safe to call twice. */
  close(): void;
}

const subarrayOf = Uint8Array.prototype.subarray;
/** Where a whole-bucket scan starts: lmdb keys are never empty, so this is at or below all of them. */
const LOWEST_KEY = Buffer.from([0]);

/** Copies out of lmdb's read buffer are carved from slabs this large. */
const COPY_SLAB_BYTES = 1024 * 1024;
/** Copies up to this size are done in a loop (keys), larger ones with set(). */
const COPY_BY_LOOP_BYTES_MAX = 64;
/** Larger copies get their own buffer. */
const COPY_IN_SLAB_BYTES_MAX = 64 * 1024;
let copySlab = Buffer.allocUnsafe(COPY_SLAB_BYTES);
let copySlabUsed = 0;

/**
 * A copy out of lmdb's shared read buffer. Small copies share 1 MiB slabs, so a
 * scan of a million records does not create a million ArrayBuffers; a slab lives
 * as long as any copy in it.
 */
function copyOut(source: Uint8Array, start: number, end: number): Buffer {
  const bytes = end - start;
  if (bytes > COPY_IN_SLAB_BYTES_MAX) return Buffer.from(subarrayOf.call(source, start, end));
  if (copySlabUsed + bytes > COPY_SLAB_BYTES) {
    copySlab = Buffer.allocUnsafe(COPY_SLAB_BYTES);
    copySlabUsed = 0;
  }
  const out = copySlab.subarray(copySlabUsed, copySlabUsed + bytes);
  // A short copy byte by byte is cheaper than making a view of the source to set() from.
  if (bytes <= COPY_BY_LOOP_BYTES_MAX) for (let i = 0; i < bytes; i++) out[i] = source[start + i] as number;
  else out.set(subarrayOf.call(source, start, end));
  copySlabUsed += bytes;
  return out;
}

/** Writes a key for lmdb-js as given (keys of the view handles are raw bytes). */
function writeRawKey(key: Uint8Array, target: Uint8Array, start: number): number {
  target.set(key, start);
  return start + key.length;
}

// One named database per bucket rather than bucket-prefixed keys: scans need no
// prefix arithmetic, keys stay byte-identical to etcd's, and per-bucket page
// statistics come for free.
class LmdbStore implements CommittedStore {
  private dbs = new Map<BucketName, BinaryDb>();
  /** Second handles on the buckets whose values go through `parseValue` instead of being copied. */
  private viewDbs = new Map<BucketName, ViewDb>();
  private parseValue: ValueParser<unknown> | null = null;
  private parseKey: KeyParser<unknown> | null = null;
  private openReaders = 0;
  private readersClosed: Array<() => void> = [];
  private closed = false;

  constructor(
    private readonly path: string,
    private root: RootDatabase<Buffer, Buffer>,
    private readonly noSync: boolean,
  ) {
    this.dbs = openBuckets(root);
  }

  get(bucket: BucketName, key: Buffer): Buffer | undefined {
    // lmdb-js's own get copies every value into a new ArrayBuffer (an allocation and later GC
    // work per record, most of a 1,000-key range's cost); small copies from Node's buffer pool
    // are cheaper. The fast view is only valid until the next read, so it is copied at once.
    const view = this.db(bucket).getBinaryFast(key);
    if (view === undefined) return undefined;
    // The view's length is lmdb-js's own property; its typed array may be longer.
    const copy = Buffer.allocUnsafe(view.length);
    copy.set(subarrayOf.call(view, 0, view.length));
    return copy;
  }

  readInPlace(bucket: BucketName, key: Buffer, read: InPlaceReader): boolean {
    const view = this.db(bucket).getBinaryFast(key);
    if (view === undefined) return false;
    read(view, view.length);
    return true;
  }

  *scan(bucket: BucketName, start: Buffer, end: Buffer | undefined): Iterable<BackendEntry> {
    const range = end === undefined ? { start } : { start, end };
    for (const e of this.db(bucket).getRange(range)) yield { key: e.key, value: e.value };
  }

  /**
   * Visits committed entries from `start` in key order; each value is parsed where
   * lmdb holds it, so a full scan of a large bucket copies no values.
   */
  visit<K, V>(bucket: BucketName, start: Buffer, parseKey: KeyParser<K>, parseValue: ValueParser<V>, visitor: (key: K, value: V) => void): void {
    assert(this.parseValue === null, 'nested lmdb visit');
    const db = this.viewDb(bucket);
    this.parseKey = parseKey;
    this.parseValue = parseValue;
    try {
      // lmdb-js reads each key, then its value, then hands both over before the next.
      for (const { key, value } of db.getRange({ start })) visitor(key as K, value as V);
    } finally {
      this.parseKey = null;
      this.parseValue = null;
    }
  }

  /** Puts entries in transactions of `chunkEntries`, straight into lmdb; returns how many. */
  load(bucket: BucketName, entries: Iterable<readonly [Uint8Array, Uint8Array]>, chunkEntries: number): number {
    const db = this.db(bucket);
    const it = entries[Symbol.iterator]();
    let count = 0;
    let done = false;
    // Each transaction takes up to chunkEntries entries; the loop ends with the source.
    while (!done) {
      this.root.transactionSync(() => {
        for (let n = 0; n < chunkEntries; n++) {
          const next = it.next();
          if (next.done === true) {
            done = true;
            return;
          }
          db.putSync(next.value[0] as Buffer, next.value[1] as Buffer);
          count++;
        }
      });
    }
    return count;
  }

  /**
   * The callback runs once lmdb-js has begun the write transaction, in a later event-loop
   * turn: the commit is timed from there (etcd times its bolt commit, not a wait before it).
   */
  async apply(batch: WriteBatch): Promise<number> {
    let beganMs = 0;
    await this.root.transaction(() => {
      beganMs = performance.now();
      for (const [bucket, writes] of batch) {
        const db = this.db(bucket);
        writes.forEachInRange('', undefined, (_k, w) => {
          if (w.value === null) db.removeSync(w.key);
          else db.putSync(w.key, w.value);
        });
      }
    });
    await this.root.flushed;
    return (performance.now() - beganMs) / 1000;
  }

  sizeBytes(): number {
    return statSync(this.path).size;
  }

  sizeInUseBytes(): number {
    let pages = LMDB_META_PAGES;
    let pageSize = 4096;
    for (const db of [this.root, ...this.dbs.values()]) {
      const s = readStats(db.getStats());
      pages += s.pages;
      pageSize = s.pageSize;
    }
    return pages * pageSize;
  }

  async copyTo(path: string, compact: boolean): Promise<void> {
    await this.root.backup(path, compact);
  }

  /**
   * Rewrites the file without free pages: a compacting copy is opened, swapped
   * in, then renamed over the original. Reads keep working throughout; the
   * caller guarantees no commit runs meanwhile.
   */
  async defragment(): Promise<void> {
    // Readers hold transactions of the environment being replaced (etcd's defrag
    // likewise waits for open read transactions before it closes the old db).
    await this.readersDone();
    const copyPath = `${this.path}${DEFRAG_SUFFIX}`;
    rmSync(copyPath, { force: true });
    await this.root.backup(copyPath, true);
    const old = this.root;
    this.useRoot(openRoot(copyPath));
    await old.close();
    // The open environment follows the inode, so the rename is invisible to it.
    renameSync(copyPath, this.path);
    rmSync(`${copyPath}${LOCK_SUFFIX}`, { force: true });
  }

  /**
   * Closes and reopens the environment, which unmaps the file: pages a full scan
   * touched leave this process's resident set (they stay in the kernel's page
   * cache) and come back only as they are read again. The caller guarantees no
   * commit runs meanwhile.
   */
  async reopen(): Promise<void> {
    await this.readersDone();
    await this.root.close();
    this.useRoot(openRoot(this.path, this.noSync));
  }

  /** Serves from `root` from now on: its bucket handles replace the old environment's. */
  private useRoot(root: RootDatabase<Buffer, Buffer>): void {
    this.root = root;
    this.dbs = openBuckets(root);
    this.viewDbs.clear();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // An export in progress finishes first: its cursors must not outlive their transaction.
    await this.readersDone();
    await this.root.close();
  }

  /** Entries of `bucket` read in one lmdb read transaction (see PointInTimeReader). */
  *entriesAt(bucket: BucketName, transaction: Transaction): Generator<readonly [Buffer, Buffer]> {
    for (const { key, value } of this.viewDb(bucket).getRange({ transaction, start: LOWEST_KEY })) yield [key as Buffer, value as Buffer];
  }

  /** visit() inside one read transaction (see PointInTimeReader), stopping when `visitor` returns false. */
  private visitAt<K, V>(bucket: BucketName, transaction: Transaction, start: Buffer, parseKey: KeyParser<K>, parseValue: ValueParser<V>, visitor: (key: K, value: V) => boolean): void {
    assert(this.parseValue === null, 'nested lmdb visit');
    const db = this.viewDb(bucket);
    this.parseKey = parseKey;
    this.parseValue = parseValue;
    try {
      for (const { key, value } of db.getRange({ transaction, start })) if (!visitor(key as K, value as V)) break;
    } finally {
      this.parseKey = null;
      this.parseValue = null;
    }
  }

  /** A view of the last commit, held in an lmdb read transaction until closed. */
  openReader(): PointInTimeReader {
    const transaction = this.root.useReadTransaction();
    this.openReaders++;
    let open = true;
    return {
      entries: (bucket) => this.entriesAt(bucket, transaction),
      visit: (bucket, start, parseKey, parseValue, visitor) => this.visitAt(bucket, transaction, start, parseKey, parseValue, visitor),
      close: () => {
        if (!open) return;
        open = false;
        transaction.done();
        this.openReaders--;
        if (this.openReaders === 0) for (const wake of this.readersClosed.splice(0)) wake();
      },
    };
  }

  /** Resolves once no reader is open. */
  private async readersDone(): Promise<void> {
    if (this.openReaders > 0) await new Promise<void>((resolve) => this.readersClosed.push(resolve));
  }

  private viewDb(bucket: BucketName): ViewDb {
    let db = this.viewDbs.get(bucket);
    if (db === undefined) {
      // Inside visit() values go to its parser in place; otherwise they are pooled copies.
      const decode = (value: Uint8Array, valueBytes: number): unknown =>
        this.parseValue === null ? copyOut(value, 0, valueBytes) : this.parseValue(value, valueBytes);
      // lmdb-js hands a custom decoder its shared read buffer and the value's size.
      // (lmdb-js takes `encoder` and `keyEncoder` on any database, though its types list them for the root only.)
      const readKey = (source: Uint8Array, start: number, end: number): unknown =>
        this.parseKey === null ? copyOut(source, start, end) : this.parseKey(source, start, end);
      const keyEncoder = { writeKey: writeRawKey, readKey };
      const options = { name: bucket, keyEncoder, encoder: { encode: (v: unknown) => v as Buffer, decode } };
      db = this.root.openDB<unknown, Buffer>(options);
      this.viewDbs.set(bucket, db);
    }
    return db;
  }

  private db(bucket: BucketName): BinaryDb {
    const db = this.dbs.get(bucket);
    assert(db !== undefined, `unknown bucket ${bucket}`);
    return db;
  }
}

function openRoot(path: string, noSync = false): RootDatabase<Buffer, Buffer> {
  return open<Buffer, Buffer>({
    path,
    noSync,
    // A single file, as etcd's member/snap/db, whatever the name looks like.
    noSubdir: true,
    keyEncoding: 'binary',
    encoding: 'binary',
    maxDbs: LMDB_DATABASES_MAX,
  });
}

function openBuckets(root: RootDatabase<Buffer, Buffer>): Map<BucketName, BinaryDb> {
  const dbs = new Map<BucketName, BinaryDb>();
  for (const name of BUCKET_NAMES) {
    dbs.set(name, root.openDB<Buffer, Buffer>({ name, keyEncoding: 'binary', encoding: 'binary' }));
  }
  return dbs;
}

function readStats(stats: unknown): { pages: number; pageSize: number } {
  const s = (typeof stats === 'object' && stats !== null ? stats : {}) as Record<string, unknown>;
  const num = (name: string): number => (typeof s[name] === 'number' ? (s[name] as number) : 0);
  return {
    pages: num('treeBranchPageCount') + num('treeLeafPageCount') + num('overflowPages'),
    pageSize: num('pageSize') > 0 ? num('pageSize') : 4096,
  };
}

export class LmdbBackend extends BatchingBackend {
  private constructor(
    private readonly lmdb: LmdbStore,
    options: BackendOptions,
  ) {
    super(lmdb, options);
  }

  /**
   * Opens (creating if needed) the database file at `path`, e.g. <data-dir>/member/snap/db.
   * `unsynced`: commits are not fsynced, for filling a new file that the caller
   * fsyncs once when done (snapshot restore); a crash meanwhile leaves garbage.
   */
  static open(path: string, options: BackendOptions & { readonly unsynced?: boolean } = {}): LmdbBackend {
    const unsynced = options.unsynced ?? false;
    return new LmdbBackend(new LmdbStore(path, openRoot(path, unsynced), unsynced), options);
  }

  /**
   * Fills a bucket of a new database: entries go straight to lmdb, `chunkEntries`
   * per transaction, without the write overlay. Keys and values are copied during
   * the call, so they may be views the source reuses. Returns how many were put.
   */
  loadEntries(bucket: BucketName, entries: Iterable<readonly [Uint8Array, Uint8Array]>, chunkEntries: number): number {
    assert(!this.hasUncommittedWrites, 'loadEntries with uncommitted writes');
    return this.lmdb.load(bucket, entries, chunkEntries);
  }

  /**
   * Visits the committed entries of `bucket` from `start`, each key and value
   * parsed in place (see KeyParser, ValueParser); a parser may reuse its result
   * object, as each pair reaches `visitor` before the next is read. Returns
   * false, visiting nothing, while writes are uncommitted: the caller then reads
   * through range(), which sees them.
   */
  visitCommitted<K, V>(bucket: BucketName, start: Buffer, parseKey: KeyParser<K>, parseValue: ValueParser<V>, visitor: (key: K, value: V) => void): boolean {
    if (this.hasUncommittedWrites) return false;
    this.lmdb.visit(bucket, start, parseKey, parseValue, visitor);
    return true;
  }

  /**
   * Commits, then opens a view of the committed state that later commits do not
   * change: exports read it while the server goes on writing, as etcd's snapshot
   * reads a bbolt read transaction. Close it promptly: lmdb keeps its pages.
   */
  async pointInTimeReader(): Promise<PointInTimeReader> {
    let reader: PointInTimeReader | undefined;
    await this.exclusive(async () => {
      reader = this.lmdb.openReader();
    });
    return reader as PointInTimeReader;
  }

  /**
   * Commits, then lets go of the file's mapped pages (see LmdbStore.reopen). After the
   * start-up scan that rebuilds the key index every record has been read: without
   * this, the whole file would count in the process's resident memory.
   */
  releaseMappedPages(): Promise<void> {
    return this.exclusive(() => this.lmdb.reopen());
  }

  /** etcd's defragment: commits, then shrinks the file to the pages in use. */
  defragment(): Promise<void> {
    return this.exclusive(() => this.lmdb.defragment());
  }
}
