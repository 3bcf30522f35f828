// HashKV's compact_revision, as etcdctl endpoint hashkv shows it: -1 before any
// compaction and the compacted revision after one, on etcd-ts as on etcd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdctlJson, etcdctlOk } from '../support/etcdctl.js';
import { pickNumber } from '../support/etcdctl-output.js';
import { startServer, type ServerTarget } from '../support/server-process.js';

const TEST_TIMEOUT_MS = 60_000;

async function compactRevisions(target: ServerTarget): Promise<{ before: number; after: number }> {
  const server = await startServer({ target, name: 'hashkv-compact' });
  try {
    const hashkv = async (): Promise<number> =>
      pickNumber(await etcdctlJson(server.endpoint, ['endpoint', 'hashkv']), 0, 'HashKV', 'compact_revision');
    const before = await hashkv();
    await etcdctlOk(server.endpoint, ['put', 'k', '1']);
    await etcdctlOk(server.endpoint, ['put', 'k', '2']);
    await etcdctlOk(server.endpoint, ['compact', '2']);
    return { before, after: await hashkv() };
  } finally {
    await server.stop();
  }
}

test('endpoint hashkv says compact_revision -1 before a compaction and the revision after, as etcd does', { timeout: TEST_TIMEOUT_MS }, async () => {
  const ours = await compactRevisions('etcd-ts');
  assert.deepEqual(ours, { before: -1, after: 2 });
  assert.deepEqual(await compactRevisions('etcd'), ours);
});
