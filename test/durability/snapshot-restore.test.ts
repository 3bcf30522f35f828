// A snapshot taken with etcdctl restores into a new data dir that serves the same
// keys, values and revisions; bad snapshot files are refused with a clear error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer as startProcess } from '../support/server-process.js';
import { etcdctlOk } from '../support/etcdctl.js';
import { RawKv } from '../support/raw-kv.js';
import { runCommand } from '../support/run-command.js';
import { repoRoot } from '../support/repo-root.js';
import { startServer as startInProcess } from '../../src/embed/start-server.js';

const etcdTs = (args: string[]) => runCommand(process.execPath, [join(repoRoot(), 'bin', 'etcd-ts'), ...args], { timeoutMs: 30_000 });

async function everything(endpoint: string): Promise<{ revision: bigint; kvs: string[] }> {
  const kv = new RawKv(endpoint);
  try {
    const response = await kv.range({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]) });
    const kvs = response.kvs.map((x) => `${x.key.toString()}=${x.value.toString()} c${x.createRevision} m${x.modRevision} v${x.version}`);
    return { revision: response.header?.revision ?? 0n, kvs };
  } finally {
    kv.close();
  }
}

test('a snapshot saved by etcdctl restores into a data dir that serves the same history', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'etcd-ts-snap-test-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const source = await startProcess();
  let before: { revision: bigint; kvs: string[] };
  const file = join(work, 'backup.db');
  try {
    for (let i = 0; i < 30; i++) await etcdctlOk(source.endpoint, ['put', `key/${i % 10}`, `value-${i}`]);
    await etcdctlOk(source.endpoint, ['del', 'key/3']);
    await etcdctlOk(source.endpoint, ['compaction', '20']);
    before = await everything(source.endpoint);
    await etcdctlOk(source.endpoint, ['snapshot', 'save', file]);
  } finally {
    await source.stop();
  }

  const status = await etcdTs(['snapshot', 'status', file, '-w', 'json']);
  assert.equal(status.code, 0, status.stderr);
  const parsed = JSON.parse(status.stdout) as { revision: number; totalKey: number; totalSize: number };
  assert.equal(BigInt(parsed.revision), before.revision);
  assert.ok(parsed.totalKey > 9 && parsed.totalSize > 0);

  const dataDir = join(work, 'restored.etcd');
  const restore = await etcdTs(['snapshot', 'restore', file, '--data-dir', dataDir]);
  assert.equal(restore.code, 0, restore.stderr);

  const restored = await startInProcess({ dataDir });
  try {
    const after = await everything(restored.endpoint);
    assert.deepEqual(after, before);
    const kv = new RawKv(restored.endpoint);
    const put = await kv.put({ key: Buffer.from('after-restore'), value: Buffer.from('x') });
    assert.equal(put.header?.revision, before.revision + 1n, 'the restored member continues the revision sequence');
    kv.close();
  } finally {
    await restored.close();
  }

  const again = await etcdTs(['snapshot', 'restore', file, '--data-dir', dataDir]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /data-dir ".*restored\.etcd" exists/);
});

test('truncated and corrupted snapshot files are refused with a clear error', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'etcd-ts-snap-bad-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const source = await startProcess();
  const file = join(work, 'good.db');
  try {
    await etcdctlOk(source.endpoint, ['put', 'a', 'b']);
    await etcdctlOk(source.endpoint, ['snapshot', 'save', file]);
  } finally {
    await source.stop();
  }
  const good = await readFile(file);

  const truncated = join(work, 'truncated.db');
  await writeFile(truncated, good.subarray(0, good.length - 100));
  const r1 = await etcdTs(['snapshot', 'restore', truncated, '--data-dir', join(work, 'r1')]);
  assert.equal(r1.code, 1);
  assert.match(r1.stderr, /not a database file \(truncated\?\)/);

  const flipped = Buffer.from(good);
  const middle = Math.floor(flipped.length / 2);
  flipped[middle] = (flipped[middle] ?? 0) ^ 0xff;
  const corrupt = join(work, 'corrupt.db');
  await writeFile(corrupt, flipped);
  const r2 = await etcdTs(['snapshot', 'restore', corrupt, '--data-dir', join(work, 'r2')]);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /sha256 mismatch \(the file is corrupt\)/);

  const missing = await etcdTs(['snapshot', 'restore', join(work, 'nope.db'), '--data-dir', join(work, 'r3')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /ENOENT|no such file/);
});
