// A new member's WAL segment has etcd's size (64,000,000 bytes, decimal), so a data dir
// looks the same to operators and tools whichever server created it.
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServer, type ServerTarget } from '../support/server-process.js';
import { SEGMENT_SIZE_BYTES } from '../../src/wal/wal.js';

async function firstSegmentBytes(target: ServerTarget): Promise<number> {
  const server = await startServer({ target });
  try {
    const walDir = join(server.dataDir, 'member', 'wal');
    const segments = (await readdir(walDir)).filter((name) => name.endsWith('.wal')).sort();
    assert.ok(segments[0] !== undefined, `${target} made a WAL segment`);
    return (await stat(join(walDir, segments[0]))).size;
  } finally {
    await server.stop();
  }
}

test('the first WAL segment of a new member is as large as real etcd makes it', { timeout: 60_000 }, async () => {
  const etcdBytes = await firstSegmentBytes('etcd');
  assert.equal(etcdBytes, 64_000_000);
  assert.equal(await firstSegmentBytes('etcd-ts'), etcdBytes);
  assert.equal(SEGMENT_SIZE_BYTES, etcdBytes);
});
