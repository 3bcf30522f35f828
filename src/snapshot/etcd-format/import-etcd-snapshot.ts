// Copies an etcd snapshot (a bbolt file, with or without its trailing sha256) into
// our backend: etcd's buckets byte for byte, since our `key`, `meta`, `lease`,
// `alarm`, `members*`, `cluster` and `auth*` buckets use etcd's own encodings.
import { BUCKET_NAMES, type Backend, type BucketName } from '../../backend/backend.js';
import { LmdbBackend } from '../../backend/lmdb-backend.js';
import { BboltReader } from '../../bbolt/bbolt-reader.js';
import { isTombstoneKey, parseRevisionMain, REVISION_BYTES, TOMBSTONE_REVISION_BYTES } from '../../mvcc/revision.js';
import { readConsistentIndex, readFinishedCompact } from '../../mvcc/store-meta.js';
import { EtcdSnapshotError } from './etcd-snapshot-error.js';

/** Writes per backend commit (per lmdb transaction), so a large snapshot never sits in memory as one batch. */
export const IMPORT_COMMIT_KEYS = 100_000;
const REVISION_SEPARATOR_BYTE = 0x5f;

export interface EtcdImportSummary {
  /** Entries copied per bucket. */
  readonly keysByBucket: ReadonlyMap<BucketName, number>;
  /** Buckets in the file that etcd-ts does not keep (none in etcd 3.4/3.5 snapshots). */
  readonly skippedBuckets: readonly string[];
  /** The highest main revision in the `key` bucket (0 when it is empty). */
  readonly revision: number;
  readonly compactRevision: number;
  readonly consistentIndex: number;
}

/**
 * `source` is a file path or the file's bytes; a trailing sha256 is ignored here, so
 * check it first (verifySnapshotDigest for files, snapshotDbBytes for bytes). The
 * backend must be new: its `key` bucket empty. Everything is committed on return.
 */
export async function importEtcdSnapshot(source: string | Uint8Array, backend: Backend): Promise<EtcdImportSummary> {
  if (backend.range('key', Buffer.alloc(0), undefined, 1).length > 0) {
    throw new EtcdSnapshotError('the target backend already holds keys; import an etcd snapshot into a new data dir');
  }
  const reader = BboltReader.open(source);
  try {
    const known = new Set<string>(BUCKET_NAMES);
    const keysByBucket = new Map<BucketName, number>();
    const skippedBuckets: string[] = [];
    let revision = 0;
    for (const name of reader.buckets()) {
      if (!known.has(name)) {
        skippedBuckets.push(name);
        continue;
      }
      const bucket = name as BucketName;
      const entries = bucket === 'key' ? checkedRevisions(reader.entries(bucket), (main) => (revision = main)) : reader.entries(bucket);
      keysByBucket.set(bucket, await copyEntries(entries, bucket, backend));
    }
    await backend.commit();
    return {
      keysByBucket,
      skippedBuckets,
      revision,
      compactRevision: readFinishedCompact(backend),
      consistentIndex: readConsistentIndex(backend).index,
    };
  } finally {
    reader.close();
  }
}

/** lmdb is filled directly, a transaction per IMPORT_COMMIT_KEYS; any other backend through put(). */
async function copyEntries(entries: Iterable<[Buffer, Buffer]>, bucket: BucketName, backend: Backend): Promise<number> {
  if (backend instanceof LmdbBackend) {
    await backend.commit();
    return backend.loadEntries(bucket, entries, IMPORT_COMMIT_KEYS);
  }
  let count = 0;
  for (const [key, value] of entries) {
    // Copies: the reader's buffers may be views of its page buffers.
    backend.put(bucket, Buffer.from(key), Buffer.from(value));
    if (++count % IMPORT_COMMIT_KEYS === 0) await backend.commit();
  }
  return count;
}

/** The `key` bucket's entries, each key checked to be a revision; `seen` gets each main revision. */
function* checkedRevisions(entries: Iterable<[Buffer, Buffer]>, seen: (main: number) => void): Generator<[Buffer, Buffer]> {
  for (const entry of entries) {
    seen(checkRevisionKey(entry[0]));
    yield entry;
  }
}

/** The mvcc store would misread anything else; returns the key's main revision. */
function checkRevisionKey(key: Buffer): number {
  const shaped = (key.length === REVISION_BYTES || (key.length === TOMBSTONE_REVISION_BYTES && isTombstoneKey(key))) && key[8] === REVISION_SEPARATOR_BYTE;
  if (!shaped) throw new EtcdSnapshotError(`the key bucket holds ${key.toString('hex')}, which is not a revision`);
  return parseRevisionMain(key);
}
