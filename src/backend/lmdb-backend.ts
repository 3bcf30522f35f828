// The durable backend: one lmdb environment (a single file, like etcd's bbolt
// db) with one named database per bucket; each batch commits in one lmdb
// write transaction, so it lands whole or not at all.
import { renameSync, rmSync, statSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import { assert } from '../util/assert.js';
import { BUCKET_NAMES, type BackendEntry, type BackendOptions, type BucketName } from './backend.js';
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
/** Reads a value in place: `value` is lmdb's own buffer, valid only during the call, `valueBytes` long. */
export type ValueParser<T> = (value: Uint8Array, valueBytes: number) => T;

// One named database per bucket rather than bucket-prefixed keys: scans need no
// prefix arithmetic, keys stay byte-identical to etcd's, and per-bucket page
// statistics come for free.
class LmdbStore implements CommittedStore {
  private dbs = new Map<BucketName, BinaryDb>();
  /** Second handles on the buckets whose values go through `parseValue` instead of being copied. */
  private viewDbs = new Map<BucketName, Database<unknown, Buffer>>();
  private parseValue: ValueParser<unknown> | null = null;
  private closed = false;

  constructor(
    private readonly path: string,
    private root: RootDatabase<Buffer, Buffer>,
  ) {
    this.dbs = openBuckets(root);
  }

  get(bucket: BucketName, key: Buffer): Buffer | undefined {
    return this.db(bucket).get(key);
  }

  *scan(bucket: BucketName, start: Buffer, end: Buffer | undefined): Iterable<BackendEntry> {
    const range = end === undefined ? { start } : { start, end };
    for (const e of this.db(bucket).getRange(range)) yield { key: e.key, value: e.value };
  }

  /**
   * Visits committed entries from `start` in key order; each value is parsed where
   * lmdb holds it, so a full scan of a large bucket copies no values.
   */
  visit<T>(bucket: BucketName, start: Buffer, parse: ValueParser<T>, visitor: (key: Uint8Array, parsed: T) => void): void {
    assert(this.parseValue === null, 'nested lmdb visit');
    const db = this.viewDb(bucket);
    this.parseValue = parse;
    try {
      for (const { key, value } of db.getRange({ start })) visitor(key, value as T);
    } finally {
      this.parseValue = null;
    }
  }

  async apply(batch: WriteBatch): Promise<void> {
    await this.root.transaction(() => {
      for (const [bucket, writes] of batch) {
        const db = this.db(bucket);
        writes.forEachInRange('', undefined, (_k, w) => {
          if (w.value === null) db.removeSync(w.key);
          else db.putSync(w.key, w.value);
        });
      }
    });
    await this.root.flushed;
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
    const copyPath = `${this.path}${DEFRAG_SUFFIX}`;
    rmSync(copyPath, { force: true });
    await this.root.backup(copyPath, true);
    const old = this.root;
    this.root = openRoot(copyPath);
    this.dbs = openBuckets(this.root);
    this.viewDbs.clear();
    await old.close();
    // The open environment follows the inode, so the rename is invisible to it.
    renameSync(copyPath, this.path);
    rmSync(`${copyPath}${LOCK_SUFFIX}`, { force: true });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.root.close();
  }

  private viewDb(bucket: BucketName): Database<unknown, Buffer> {
    let db = this.viewDbs.get(bucket);
    if (db === undefined) {
      const decode = (value: Uint8Array, valueBytes: number): unknown => {
        assert(this.parseValue !== null, 'lmdb view read outside visit()');
        return this.parseValue(value, valueBytes);
      };
      // lmdb-js hands a custom decoder its shared read buffer and the value's size.
      // (lmdb-js takes `encoder` on any database, though its types list it for the root only.)
      const options = { name: bucket, keyEncoding: 'binary' as const, encoder: { encode: (v: unknown) => v as Buffer, decode } };
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

function openRoot(path: string): RootDatabase<Buffer, Buffer> {
  return open<Buffer, Buffer>({
    path,
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

  /** Opens (creating if needed) the database file at `path`, e.g. <data-dir>/member/snap/db. */
  static open(path: string, options: BackendOptions = {}): LmdbBackend {
    return new LmdbBackend(new LmdbStore(path, openRoot(path)), options);
  }

  /**
   * Visits the committed entries of `bucket` from `start`, each value parsed in
   * place (see ValueParser). Returns false, visiting nothing, while writes are
   * uncommitted: the caller then reads through range(), which sees them.
   */
  visitCommitted<T>(bucket: BucketName, start: Buffer, parse: ValueParser<T>, visitor: (key: Uint8Array, parsed: T) => void): boolean {
    if (this.hasUncommittedWrites) return false;
    this.lmdb.visit(bucket, start, parse, visitor);
    return true;
  }

  /** etcd's defragment: commits, then shrinks the file to the pages in use. */
  defragment(): Promise<void> {
    return this.exclusive(() => this.lmdb.defragment());
  }
}
