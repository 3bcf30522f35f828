// `etcd-ts snapshot restore`: a new data dir from a snapshot file. The restored
// backend keeps every key, revision and lease, but forgets the old raft log: its
// applied index is reset so the new member's log starts from nothing, as etcdutl's
// restore starts a new cluster.
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { checkBackendFile } from '../server/backend-file-check.js';
import { clearBucket } from '../backend/bucket-slices.js';
import { LmdbBackend } from '../backend/lmdb-backend.js';
import { MvccStore } from '../mvcc/mvcc-store.js';
import { writeConsistentIndex } from '../mvcc/store-meta.js';
import { clearSnapshotMarker } from '../server/snapshot-marker.js';
import { extractDatabase } from './extract-db.js';
import { importEtcdSnapshot } from './etcd-format/import-etcd-snapshot.js';
import { isBboltFile } from './etcd-format/is-bbolt-file.js';
import { SnapshotFileError, verifySnapshotDigest, type SnapshotLayout } from './snapshot-file.js';
import { pathExists } from '../util/path-exists.js';

export interface RestoreOptions {
  readonly snapshotPath: string;
  readonly dataDir: string;
  readonly walDir: string | null;
  readonly skipHashCheck: boolean;
}

interface RestoredBackend {
  readonly backend: LmdbBackend;
  readonly revision: number;
}

/**
 * etcd's snapshots (bbolt) are imported bucket by bucket; a raw etcd-ts db copy is
 * taken as it is. The revision comes from the import, so no key index is built here.
 */
async function openRestoredBackend(snapshotPath: string, layout: SnapshotLayout, dbPath: string): Promise<RestoredBackend> {
  if (await isBboltFile(snapshotPath)) {
    // A new file, synced once at the end (restoreSnapshot): nothing is served from it before.
    const backend = LmdbBackend.open(dbPath, { unsynced: true });
    try {
      const summary = await importEtcdSnapshot(snapshotPath, backend);
      return { backend, revision: summary.revision };
    } catch (error) {
      await backend.close();
      throw error;
    }
  }
  await extractDatabase(snapshotPath, layout, dbPath);
  await checkBackendFile(dbPath);
  const backend = LmdbBackend.open(dbPath);
  const store = MvccStore.open(backend);
  const revision = store.currentRevision;
  await store.close();
  return { backend, revision };
}

export async function restoreSnapshot(options: RestoreOptions): Promise<{ revision: number }> {
  if (await pathExists(options.dataDir)) throw new SnapshotFileError(`data-dir "${options.dataDir}" exists`);
  if (options.walDir !== null && (await pathExists(options.walDir))) throw new SnapshotFileError(`wal-dir "${options.walDir}" exists`);
  const layout = await verifySnapshotDigest(options.snapshotPath, options.skipHashCheck);
  try {
    return await restoreInto(options, layout);
  } catch (error) {
    // The data dir did not exist before: a failed restore leaves none behind, so it can be retried.
    await rm(options.dataDir, { recursive: true, force: true });
    throw error;
  }
}

async function restoreInto(options: RestoreOptions, layout: SnapshotLayout): Promise<{ revision: number }> {
  const snapDir = join(options.dataDir, 'member', 'snap');
  await mkdir(snapDir, { recursive: true });
  const dbPath = join(snapDir, 'db');
  const { backend, revision } = await openRestoredBackend(options.snapshotPath, layout, dbPath);
  try {
    writeConsistentIndex(backend, 0, 0);
    clearSnapshotMarker(backend);
    // The restored member starts a new cluster from its flags, as etcdutl's restore
    // does: the old cluster's member list must not survive into it.
    await clearBucket(backend, 'members');
    await clearBucket(backend, 'members_removed');
    await backend.commit();
  } finally {
    await backend.close();
  }
  await syncFile(dbPath);
  await syncFile(snapDir);
  return { revision };
}

/** fsync of a file or directory (its entries), so the restored data dir survives a crash. */
async function syncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
