// Moving between etcd and etcd-ts with one snapshot, using only the commands an
// operator runs (docs/migration.md): etcdctl snapshot save on one, restore on the
// other, and the same keys, values and revisions served afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../support/server-process.js';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';
import { freePorts } from '../support/free-port.js';
import { RawKv } from '../support/raw-kv.js';
import { runCommand } from '../support/run-command.js';
import { repoRoot } from '../support/repo-root.js';
import { startServer as startInProcess } from '../../src/embed/start-server.js';

const READY_ATTEMPTS_MAX = 50;
const READY_PAUSE_MS = 200;

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
  const [clientPort, peerPort] = await freePorts(2);
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const dataDir = join(work, 'restored.etcd');
  const restore = await runCommand(
    '/usr/bin/etcdctl',
    ['snapshot', 'restore', file, '--data-dir', dataDir, '--name', 'back', '--initial-cluster', `back=${peerUrl}`, '--initial-advertise-peer-urls', peerUrl],
    { env: { ETCDCTL_API: '3' } },
  );
  assert.equal(restore.code, 0, restore.stderr);
  const etcd = spawn('/usr/bin/etcd', [
    '--name', 'back', '--data-dir', dataDir, '--logger', 'zap',
    '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `back=${peerUrl}`,
  ], { stdio: 'ignore' });
  try {
    const endpoint = `127.0.0.1:${clientPort}`;
    for (let attempt = 0; attempt < READY_ATTEMPTS_MAX; attempt++) {
      const health = await etcdctl(endpoint, ['endpoint', 'health']);
      if (health.code === 0) break;
      await sleep(READY_PAUSE_MS);
    }
    assert.deepEqual(await everything(endpoint), before);
  } finally {
    etcd.kill('SIGKILL');
    await once(etcd, 'exit');
  }
});
