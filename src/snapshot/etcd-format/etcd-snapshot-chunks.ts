// Maintenance.Snapshot in etcd's format: the bbolt export of a point-in-time copy,
// sent in chunks with the bytes remaining, then its sha256 as the last chunk.
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../../backend/backend.js';
import { SNAPSHOT_CHUNK_BYTES } from '../snapshot-file.js';
import { exportLiveEtcdSnapshot } from './export-etcd-snapshot.js';

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
        const chunk = Buffer.alloc(Math.min(SNAPSHOT_CHUNK_BYTES, sizeBytes - sent));
        const { bytesRead } = await file.read(chunk, 0, chunk.length, sent);
        if (bytesRead === 0) throw new Error(`bbolt export ended early at ${sent} of ${sizeBytes} bytes`);
        sent += bytesRead;
        const blob = chunk.subarray(0, bytesRead);
        hash.update(blob);
        yield { remainingBytes: sizeBytes - sent, blob };
      }
    } finally {
      await file.close();
    }
    yield { remainingBytes: 0, blob: hash.digest() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
