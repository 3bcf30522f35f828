// Maintenance.Snapshot in etcd's format: a bbolt file of one point-in-time view,
// laid out by a first pass over the data and then built and sent as the client takes
// it (at most a block or two held), in chunks with the bytes remaining, then its
// sha256 (computed on the way) as the last chunk.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../../backend/backend.js';
import { LmdbBackend, type PointInTimeReader } from '../../backend/lmdb-backend.js';
import { BBOLT_PAGE_BYTES_DEFAULT } from '../../bbolt/bbolt-format.js';
import { bboltStreamBlocks } from '../../bbolt/bbolt-stream-pages.js';
import { planBboltStream } from '../../bbolt/bbolt-stream-plan.js';
import { SNAPSHOT_CHUNK_BYTES } from '../snapshot-file.js';
import { etcdBucketSources } from './export-etcd-snapshot.js';

/** Pages are built and hashed in blocks this large (a whole number of chunks). */
const BLOCK_BYTES = 32 * SNAPSHOT_CHUNK_BYTES;

export interface SnapshotChunk {
  readonly remainingBytes: number;
  readonly blob: Buffer;
}

export async function* etcdSnapshotChunks(backend: Backend): AsyncGenerator<SnapshotChunk> {
  if (backend instanceof LmdbBackend) {
    // One lmdb read transaction is the point in time for both passes: nothing is copied first.
    yield* chunksOf(await backend.pointInTimeReader());
    return;
  }
  // Any other backend: a committed copy, opened as lmdb and sent from there.
  const dir = await mkdtemp(join(tmpdir(), 'etcd-ts-bbolt-snapshot-'));
  try {
    const copyPath = join(dir, 'db');
    await backend.copyTo(copyPath, false);
    const copy = LmdbBackend.open(copyPath);
    try {
      yield* chunksOf(await copy.pointInTimeReader());
    } finally {
      await copy.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Closes `reader` when done, abandoned or failed. */
async function* chunksOf(reader: PointInTimeReader): AsyncGenerator<SnapshotChunk> {
  try {
    const plan = await planBboltStream(etcdBucketSources(reader), BBOLT_PAGE_BYTES_DEFAULT);
    const sizeBytes = plan.pageCount * plan.pageBytes;
    const hash = createHash('sha256');
    let sent = 0;
    for (const block of bboltStreamBlocks(plan, BLOCK_BYTES)) {
      hash.update(block);
      for (let at = 0; at < block.length; at += SNAPSHOT_CHUNK_BYTES) {
        const blob = block.subarray(at, Math.min(at + SNAPSHOT_CHUNK_BYTES, block.length));
        sent += blob.length;
        yield { remainingBytes: sizeBytes - sent, blob };
      }
      // A client that never pushes back would otherwise keep this loop on microtasks and starve the server.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (sent !== sizeBytes) throw new Error(`streamed bbolt file has ${sent} bytes, its plan ${sizeBytes}`);
    yield { remainingBytes: 0, blob: hash.digest() };
  } finally {
    reader.close();
  }
}
