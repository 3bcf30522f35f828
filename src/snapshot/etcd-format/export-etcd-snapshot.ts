// Writes our backend as an etcd snapshot: a bbolt file with etcd's ten buckets,
// readable by `etcdctl snapshot status|restore` and by etcd itself.
import { BUCKET_NAMES, type Backend, type BackendEntry, type BucketName } from '../../backend/backend.js';
import { bucketSlices } from '../../backend/bucket-slices.js';
import type { PointInTimeReader } from '../../backend/lmdb-backend.js';
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
 * a live server streams etcdSnapshotChunks (one read transaction) instead.
 */
export async function exportEtcdSnapshot(backend: Backend, path: string, options: EtcdExportOptions = {}): Promise<BboltWriteSummary> {
  return writeExport((name) => bucketSlices(backend, name, EXPORT_SCAN_KEYS), path, options);
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
