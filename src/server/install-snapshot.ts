// Snapshots between members: the leader sends a follower that fell behind its log
// a copy of its backend (consistent at the applied index recorded inside it); the
// follower replaces its backend's contents with it. Objects keep their identity:
// the caller reloads the store, members, alarms, leases and watchers in place.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUCKET_NAMES, type Backend, type BucketName } from '../backend/backend.js';
import { bucketSlices, clearBucket } from '../backend/bucket-slices.js';
import { LmdbBackend } from '../backend/lmdb-backend.js';
import { readConsistentIndex } from '../mvcc/store-meta.js';
import type { ConfState, Snapshot } from '../raft/types.js';
import { checkBackendFile } from './backend-file-check.js';

/** Entries moved per slice, so a large backend is copied in bounded steps. */
const COPY_SLICE_ENTRIES = 10_000;
const INSTALLING_KEY = Buffer.from('etcd-ts:installing-snapshot');

async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'etcd-ts-member-snapshot-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Leader side: the backend as one file, and the raft position it reflects. */
export function buildMemberSnapshot(backend: Backend, confState: ConfState): Promise<Snapshot> {
  return withTempDir(async (dir) => {
    const path = join(dir, 'db');
    await backend.copyTo(path, false);
    const copy = LmdbBackend.open(path);
    let applied: { index: number; term: number };
    try {
      applied = readConsistentIndex(copy);
    } finally {
      await copy.close();
    }
    const data = await readFile(path);
    return { metadata: { index: applied.index, term: applied.term, confState }, data };
  });
}

async function copyBucket(source: Backend, target: Backend, bucket: BucketName): Promise<void> {
  for (const slice of bucketSlices(source, bucket, COPY_SLICE_ENTRIES)) {
    for (const entry of slice) target.put(bucket, entry.key, entry.value);
    if (slice.length === COPY_SLICE_ENTRIES) await target.commit();
  }
}

/** True if an install was interrupted: the backend holds a mix and must not be served. */
export function snapshotInstallInterrupted(backend: Backend): boolean {
  return backend.get('meta', INSTALLING_KEY) !== undefined;
}

/**
 * Follower side: replaces every bucket's contents with the snapshot's. The copy
 * cannot be one transaction, so a marker in `meta` is committed first and goes
 * away only in the final commit, together with the new `meta` (small enough to be
 * replaced without an intermediate commit): a crash in between is detected at start-up.
 */
export function installMemberSnapshot(target: Backend, data: Uint8Array): Promise<void> {
  return withTempDir(async (dir) => {
    const path = join(dir, 'db');
    await writeFile(path, data);
    await checkBackendFile(path);
    const source = LmdbBackend.open(path);
    try {
      target.put('meta', INSTALLING_KEY, Buffer.from('1'));
      await target.commit();
      for (const bucket of BUCKET_NAMES) {
        if (bucket === 'meta') continue;
        await clearBucket(target, bucket, COPY_SLICE_ENTRIES);
        await copyBucket(source, target, bucket);
      }
      const meta = source.range('meta', Buffer.alloc(0), undefined, COPY_SLICE_ENTRIES);
      for (const entry of target.range('meta', Buffer.alloc(0), undefined, COPY_SLICE_ENTRIES)) target.delete('meta', entry.key);
      for (const entry of meta) target.put('meta', entry.key, entry.value);
      await target.commit();
    } finally {
      await source.close();
    }
  });
}
