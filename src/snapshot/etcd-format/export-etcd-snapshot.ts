// Writes our backend as an etcd snapshot: a bbolt file with etcd's ten buckets,
// readable by `etcdctl snapshot status|restore` and by etcd itself.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUCKET_NAMES, type Backend, type BackendEntry, type BucketName } from '../../backend/backend.js';
import { bucketSlices } from '../../backend/bucket-slices.js';
import { LmdbBackend, type PointInTimeReader } from '../../backend/lmdb-backend.js';
import { inPlaceOf, type InPlaceBucket } from '../../bbolt/in-place-bucket.js';
import { writeBbolt, type BboltWriteSummary, type KeyValueStream } from '../../bbolt/bbolt-writer.js';
import { appendSnapshotDigest } from './snapshot-digest.js';

/** Entries read from the backend per range call while exporting. */
export const EXPORT_SCAN_KEYS = 10_000;
/** etcd-ts's own bookkeeping in `meta` (e.g. its raft snapshot marker) means nothing to etcd. */
const PRIVATE_META_PREFIX = Buffer.from('etcd-ts:');
/** At or below every key (lmdb keys are never empty). */
const LOWEST_KEY = Buffer.from([0]);

export interface EtcdExportOptions {
  /** Append the sha256 of the db, as `etcdctl snapshot save` does (default true). */
  readonly digest?: boolean;
}

/**
 * The backend must not change while this runs (each bucket is read in slices);
 * for a live server use exportLiveEtcdSnapshot.
 */
export async function exportEtcdSnapshot(backend: Backend, path: string, options: EtcdExportOptions = {}): Promise<BboltWriteSummary> {
  return writeExport((name) => bucketSlices(backend, name, EXPORT_SCAN_KEYS), path, options);
}

/** Exports a point-in-time view, so a server keeps writing while the snapshot is made. */
export async function exportLiveEtcdSnapshot(backend: Backend, path: string, options: EtcdExportOptions = {}): Promise<BboltWriteSummary> {
  if (backend instanceof LmdbBackend) {
    // One lmdb read transaction is the point in time: nothing is copied first.
    const reader = await backend.pointInTimeReader();
    try {
      return await writeExport((name) => [reader.entries(name)], path, options);
    } finally {
      reader.close();
    }
  }
  return exportCopy(backend, path, options);
}

type EntryPairs = Iterable<readonly [Buffer, Buffer]> | Iterable<BackendEntry>;

/** etcd's buckets as read in place from a point-in-time view (a streamed export reads each twice). */
export function etcdBucketSources(reader: PointInTimeReader): Map<string, InPlaceBucket> {
  const sources = new Map<string, InPlaceBucket>();
  for (const name of BUCKET_NAMES) {
    // `meta` is a handful of keys, some of them etcd-ts's own, left out as it is read.
    const bucket: InPlaceBucket = name === 'meta'
      ? inPlaceOf(() => bucketEntries([reader.entries(name)], name))
      : { visit: (from, takeKey, takeValue, visitor) => reader.visit(name, from ?? LOWEST_KEY, takeKey, takeValue, visitor) };
    sources.set(name, bucket);
  }
  return sources;
}

async function writeExport(read: (bucket: BucketName) => Iterable<EntryPairs>, path: string, options: EtcdExportOptions): Promise<BboltWriteSummary> {
  const buckets = new Map<string, KeyValueStream>();
  for (const name of BUCKET_NAMES) buckets.set(name, bucketEntries(read(name), name));
  const summary = await writeBbolt(path, buckets);
  if (options.digest ?? true) await appendSnapshotDigest(path);
  return summary;
}

/** Any other backend: a committed copy, opened as lmdb and exported from there. */
async function exportCopy(backend: Backend, path: string, options: EtcdExportOptions): Promise<BboltWriteSummary> {
  const dir = await mkdtemp(join(tmpdir(), 'etcd-ts-export-'));
  try {
    const copyPath = join(dir, 'db');
    await backend.copyTo(copyPath, false);
    const copy = LmdbBackend.open(copyPath);
    try {
      return await exportEtcdSnapshot(copy, path, options);
    } finally {
      await copy.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The bucket's entries (in slices or in one stream), without etcd-ts's own meta keys. */
function* bucketEntries(slices: Iterable<EntryPairs>, bucket: BucketName): Generator<readonly [Buffer, Buffer]> {
  for (const slice of slices) {
    for (const entry of slice) {
      const [key, value] = 'key' in entry ? [entry.key, entry.value] : entry;
      if (bucket === 'meta' && key.subarray(0, PRIVATE_META_PREFIX.length).equals(PRIVATE_META_PREFIX)) continue;
      yield [key, value];
    }
  }
}
