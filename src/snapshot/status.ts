// `etcd-ts snapshot status`: what etcdutl prints for a snapshot file: a hash over
// every bucket, the revision, the number of keys in all buckets and the size.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUCKET_NAMES } from '../backend/backend.js';
import { checkBackendFile } from '../server/backend-file-check.js';
import { LmdbBackend } from '../backend/lmdb-backend.js';
import { crc32cUpdate } from '../mvcc/crc32c.js';
import { MvccStore } from '../mvcc/mvcc-store.js';
import { BboltReader } from '../bbolt/bbolt-reader.js';
import { etcdSnapshotStatus } from './etcd-format/etcd-snapshot-status.js';
import { isBboltFile } from './etcd-format/is-bbolt-file.js';
import { extractDatabase } from './extract-db.js';
import { verifySnapshotDigest } from './snapshot-file.js';

/** Keys read per scan step, so a huge bucket is hashed in bounded slices. */
const STATUS_SCAN_BATCH = 10_000;

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
        let start = Buffer.alloc(0);
        for (;;) {
          const entries = backend.range(bucket, start, undefined, STATUS_SCAN_BATCH);
          for (const entry of entries) {
            hash = crc32cUpdate(hash, entry.key);
            hash = crc32cUpdate(hash, entry.value);
          }
          totalKey += entries.length;
          const last = entries[entries.length - 1];
          if (last === undefined || entries.length < STATUS_SCAN_BATCH) break;
          start = Buffer.concat([last.key, Buffer.from([0])]);
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
