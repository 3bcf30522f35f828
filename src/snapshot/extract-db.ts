// Copies the database part of a verified snapshot file to its own path, where the
// backend can open it.
import { open } from 'node:fs/promises';
import { SNAPSHOT_CHUNK_BYTES, type SnapshotLayout } from './snapshot-file.js';

export async function extractDatabase(snapshotPath: string, layout: SnapshotLayout, targetPath: string): Promise<void> {
  const source = await open(snapshotPath, 'r');
  const target = await open(targetPath, 'wx');
  try {
    const chunk = Buffer.alloc(SNAPSHOT_CHUNK_BYTES);
    let offset = 0;
    while (offset < layout.dbBytes) {
      const want = Math.min(chunk.length, layout.dbBytes - offset);
      const { bytesRead } = await source.read(chunk, 0, want, offset);
      if (bytesRead === 0) throw new Error(`${snapshotPath} ended early at ${offset}`);
      await target.write(chunk, 0, bytesRead, offset);
      offset += bytesRead;
    }
    await target.sync();
  } finally {
    await target.close();
    await source.close();
  }
}
