// `etcd-ts snapshot status`: what etcdutl prints for a snapshot file: a hash over
// every bucket, the revision, the number of keys in all buckets and the size.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUCKET_NAMES } from '../backend/backend.js';
import { checkBackendFile } from '../server/backend-file-check.js';
import { bucketSlices } from '../backend/bucket-slices.js';
import { LmdbBackend } from '../backend/lmdb-backend.js';
import { crc32cUpdate } from '../mvcc/crc32c.js';
import { MvccStore } from '../mvcc/mvcc-store.js';
import { BboltReader } from '../bbolt/bbolt-reader.js';
import { etcdSnapshotStatus } from './etcd-format/etcd-snapshot-status.js';
import { isBboltFile } from './etcd-format/is-bbolt-file.js';
import { extractDatabase } from './extract-db.js';
import { verifySnapshotDigest } from './snapshot-file.js';

export interface SnapshotStatus {
  readonly hash: number;
  readonly revision: number;
  readonly totalKey: number;
  readonly totalSize: number;
}

export async function snapshotStatus(snapshotPath: string): Promise<SnapshotStatus> {
  const layout = await verifySnapshotDigest(snapshotPath, true);
  if (await isBboltFile(snapshotPath)) {
    const reader = BboltReader.open(snapshotPath);
    try {
      return etcdSnapshotStatus(reader);
    } finally {
      reader.close();
    }
  }
  const dir = await mkdtemp(join(tmpdir(), 'etcd-ts-status-'));
  try {
    const dbPath = join(dir, 'db');
    await extractDatabase(snapshotPath, layout, dbPath);
    await checkBackendFile(dbPath);
    const backend = LmdbBackend.open(dbPath);
    try {
      let hash = 0;
      let totalKey = 0;
      for (const bucket of BUCKET_NAMES) {
        hash = crc32cUpdate(hash, Buffer.from(bucket));
        for (const slice of bucketSlices(backend, bucket)) {
          for (const entry of slice) {
            hash = crc32cUpdate(hash, entry.key);
            hash = crc32cUpdate(hash, entry.value);
          }
          totalKey += slice.length;
        }
      }
      const store = MvccStore.open(backend);
      const revision = store.currentRevision;
      await store.close();
      return { hash, revision, totalKey, totalSize: layout.dbBytes };
    } finally {
      await backend.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
