// How segments get their size: a new WAL's first segment is only sized, so
// creating a WAL does not wait to write its zeros; every later segment is filled
// with zeros in the background before it is used, so its blocks are reserved (as
// etcd's fallocate reserves them). Either way it reads back as zeros after the records.
import assert from 'node:assert/strict';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Wal } from '../../src/wal/wal.js';
import { METADATA, makeEntries, segmentFiles, withTempDir } from './wal-fixtures.js';

const SEGMENT_BYTES = 4 * 1024 * 1024;
const BLOCK_BYTES = 512;

async function allocatedBytes(path: string): Promise<number> {
  return (await stat(path)).blocks * BLOCK_BYTES;
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('the first segment is sized without writing it; the next one is filled in the background', async () => {
  await withTempDir(async (dir) => {
    const wal = await Wal.create(dir, METADATA, { segmentSizeBytes: SEGMENT_BYTES });
    try {
      const [first] = await segmentFiles(dir);
      const firstPath = join(dir, first ?? '');
      assert.equal((await stat(firstPath)).size, SEGMENT_BYTES);
      assert.ok((await allocatedBytes(firstPath)) < SEGMENT_BYTES / 2, 'the first segment was written in full');
      const tmpPath = async (): Promise<string | undefined> => (await readdir(dir)).find((name) => name.endsWith('.tmp'));
      await waitFor(async () => {
        const name = await tmpPath();
        return name !== undefined && (await allocatedBytes(join(dir, name))) >= SEGMENT_BYTES;
      }, 10_000);
      await wal.save({ term: 1, vote: 0n, commit: 3 }, makeEntries(1, 3, 1));
      const bytes = await readFile(firstPath);
      const tail = bytes.subarray(SEGMENT_BYTES / 2);
      assert.ok(tail.every((byte) => byte === 0), 'the unwritten part reads as zeros');
    } finally {
      await wal.close();
    }
  });
});
