// Maintenance.Snapshot in etcd's format: a bbolt file of one point-in-time view,
// laid out by a first pass over the data and then built and sent as the client takes
// it (at most a block or two held), a block per chunk with the bytes remaining, then
// its sha256 (computed on the way) as the last chunk.
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../../backend/backend.js';
import { LmdbBackend, type PointInTimeReader } from '../../backend/lmdb-backend.js';
import { BBOLT_PAGE_BYTES_DEFAULT } from '../../bbolt/bbolt-format.js';
import { bboltStreamBlocks } from '../../bbolt/bbolt-stream-pages.js';
import { planBboltStream } from '../../bbolt/bbolt-stream-plan.js';
import { etcdBucketSources } from './export-etcd-snapshot.js';

/**
 * Pages are built, hashed and sent in blocks this large. etcd sends 32 KiB chunks, but
 * clients only put the blobs together: one message per MiB costs 32 times fewer messages
 * (each one a serialization, a frame and a write) and stays far below gRPC's default
 * 4 MiB receive limit, which clients other than etcdctl keep.
 */
export const SNAPSHOT_BLOCK_BYTES = 1024 * 1024;

/**
 * Bytes before each blob that belong to it: the response encoder may write the message's
 * leading fields there instead of copying the blob behind them (see blobHeadroomBytes).
 * The fields before a blob (header, remaining_bytes, the blob's tag and length) take at most 63.
 */
const BLOB_HEADROOM_BYTES = 64;
/** Blobs handed out with BLOB_HEADROOM_BYTES of their own before them. */
const blobsWithHeadroom = new WeakSet<Buffer>();

/** How many bytes right before `blob` the caller may overwrite (0 for any buffer this module did not hand out). */
export function blobHeadroomBytes(blob: Buffer): number {
  return blobsWithHeadroom.has(blob) ? BLOB_HEADROOM_BYTES : 0;
}

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
    for (const block of bboltStreamBlocks(plan, SNAPSHOT_BLOCK_BYTES, BLOB_HEADROOM_BYTES)) {
      hash.update(block);
      sent += block.length;
      blobsWithHeadroom.add(block);
      yield { remainingBytes: sizeBytes - sent, blob: block };
      // A client that never pushes back would otherwise keep this loop on microtasks and starve the server.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (sent !== sizeBytes) throw new Error(`streamed bbolt file has ${sent} bytes, its plan ${sizeBytes}`);
    yield { remainingBytes: 0, blob: hash.digest() };
  } finally {
    reader.close();
  }
}
