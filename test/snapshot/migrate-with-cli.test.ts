// Moving between etcd and etcd-ts with one snapshot, using only the commands an
// operator runs (docs/migration.md): etcdctl snapshot save on one, restore on the
// other, and the same keys, values and revisions served afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../support/server-process.js';
import { etcdctlOk } from '../support/etcdctl.js';
import { RawKv } from '../support/raw-kv.js';
import { runCommand } from '../support/run-command.js';
import { repoRoot } from '../support/repo-root.js';
import { withRestoredEtcd } from '../support/restored-etcd.js';
import { startServer as startInProcess } from '../../src/embed/start-server.js';

async function everything(endpoint: string): Promise<string[]> {
  const kv = new RawKv(endpoint);
  try {
    const response = await kv.range({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]) });
    return response.kvs.map((x) => `${x.key.toString()}=${x.value.toString()} c${x.createRevision} m${x.modRevision} v${x.version}`);
  } finally {
    kv.close();
  }
}

async function load(endpoint: string): Promise<void> {
  for (let i = 0; i < 40; i++) await etcdctlOk(endpoint, ['put', `app/${i % 12}`, `v${i}`]);
  await etcdctlOk(endpoint, ['del', 'app/5']);
  await etcdctlOk(endpoint, ['compaction', '30']);
}

test('etcd → etcd-ts: a snapshot from real etcd restores with bin/etcd-ts and serves the same data', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'etcd-migrate-in-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const etcd = await startServer({ target: 'etcd' });
  const file = join(work, 'from-etcd.db');
  let before: string[];
  try {
    await load(etcd.endpoint);
    before = await everything(etcd.endpoint);
    await etcdctlOk(etcd.endpoint, ['snapshot', 'save', file]);
  } finally {
    await etcd.stop();
  }
  const dataDir = join(work, 'etcd-ts.etcd');
  const restore = await runCommand(process.execPath, [join(repoRoot(), 'bin', 'etcd-ts'), 'snapshot', 'restore', file, '--data-dir', dataDir], { timeoutMs: 30_000 });
  assert.equal(restore.code, 0, restore.stderr);
  const server = await startInProcess({ dataDir });
  try {
    assert.deepEqual(await everything(server.endpoint), before);
  } finally {
    await server.close();
  }
});

test('etcd-ts → etcd: a snapshot saved from etcd-ts restores with etcdctl and real etcd serves the same data', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'etcd-migrate-out-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const ours = await startServer();
  const file = join(work, 'from-etcd-ts.db');
  let before: string[];
  try {
    await load(ours.endpoint);
    before = await everything(ours.endpoint);
    await etcdctlOk(ours.endpoint, ['snapshot', 'save', file]);
  } finally {
    await ours.stop();
  }
  const status = await runCommand('/usr/bin/etcdctl', ['snapshot', 'status', file, '-w', 'json'], { env: { ETCDCTL_API: '3' } });
  assert.equal(status.code, 0, status.stderr);
  await withRestoredEtcd(file, join(work, 'restored.etcd'), async (endpoint) => {
    assert.deepEqual(await everything(endpoint), before);
  });
});
