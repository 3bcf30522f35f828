// Maintenance.Snapshot in etcd's format: the bbolt export of a point-in-time copy,
// sent in chunks with the bytes remaining, then its sha256 as the last chunk.
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../../backend/backend.js';
import { SNAPSHOT_CHUNK_BYTES } from '../snapshot-file.js';
import { exportLiveEtcdSnapshot } from './export-etcd-snapshot.js';

/** The export is read back in blocks this large (a whole number of chunks). */
const READ_BLOCK_BYTES = 32 * SNAPSHOT_CHUNK_BYTES;

export interface SnapshotChunk {
  readonly remainingBytes: number;
  readonly blob: Buffer;
}

export async function* etcdSnapshotChunks(backend: Backend): AsyncGenerator<SnapshotChunk> {
  const dir = await mkdtemp(join(tmpdir(), 'etcd-ts-bbolt-snapshot-'));
  try {
    const path = join(dir, 'db');
    const { sizeBytes } = await exportLiveEtcdSnapshot(backend, path, { digest: false });
    const hash = createHash('sha256');
    const file = await open(path, 'r');
    try {
      let sent = 0;
      // Each pass sends at least one byte or throws, so this ends within sizeBytes passes.
      while (sent < sizeBytes) {
        // Read a large block (one syscall, hashed at once), then send it in etcd's chunk size.
        const block = Buffer.allocUnsafe(Math.min(READ_BLOCK_BYTES, sizeBytes - sent));
        const { bytesRead } = await file.read(block, 0, block.length, sent);
        if (bytesRead === 0) throw new Error(`bbolt export ended early at ${sent} of ${sizeBytes} bytes`);
        hash.update(block.subarray(0, bytesRead));
        for (let at = 0; at < bytesRead; at += SNAPSHOT_CHUNK_BYTES) {
          const blob = block.subarray(at, Math.min(at + SNAPSHOT_CHUNK_BYTES, bytesRead));
          sent += blob.length;
          yield { remainingBytes: sizeBytes - sent, blob };
        }
      }
    } finally {
      await file.close();
    }
    yield { remainingBytes: 0, blob: hash.digest() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
