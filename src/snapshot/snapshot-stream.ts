// Maintenance.Snapshot: a consistent point-in-time copy of the backend, sent in
// chunks with the bytes remaining, then its sha256, as etcd streams it. The copy
// is taken from a read transaction, so writes go on while it is made and sent.
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../backend/backend.js';
import { SNAPSHOT_CHUNK_BYTES } from './snapshot-file.js';

export interface SnapshotChunk {
  readonly remainingBytes: number;
  readonly blob: Buffer;
}

export async function* snapshotChunks(backend: Backend): AsyncGenerator<SnapshotChunk> {
  const dir = await mkdtemp(join(tmpdir(), 'etcd-ts-snapshot-'));
  const path = join(dir, 'db');
  try {
    await backend.copyTo(path, false);
    const total = (await stat(path)).size;
    const hash = createHash('sha256');
    const file = await open(path, 'r');
    try {
      let sent = 0;
      while (sent < total) {
        const chunk = Buffer.alloc(Math.min(SNAPSHOT_CHUNK_BYTES, total - sent));
        const { bytesRead } = await file.read(chunk, 0, chunk.length, sent);
        if (bytesRead === 0) throw new Error(`snapshot copy ended early at ${sent} of ${total} bytes`);
        sent += bytesRead;
        const blob = chunk.subarray(0, bytesRead);
        hash.update(blob);
        yield { remainingBytes: total - sent, blob };
      }
    } finally {
      await file.close();
    }
    yield { remainingBytes: 0, blob: hash.digest() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
