// The migration direction etcd-ts → etcd: a snapshot file is restored with Debian's
// etcdctl 3.4 into a fresh data dir, Debian's etcd is started on it, and once it
// answers `endpoint health` the caller checks it over its client endpoint.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { etcdctl } from './etcdctl.js';
import { freePorts } from './free-port.js';
import { runCommand } from './run-command.js';

const READY_ATTEMPTS_MAX = 50;
const READY_PAUSE_MS = 200;
const MEMBER_NAME = 'back';

/** Restores `file` into `dataDir` with etcdctl, runs etcd on it for `check`, then kills it. */
export async function withRestoredEtcd(file: string, dataDir: string, check: (endpoint: string) => Promise<void>): Promise<void> {
  const [clientPort, peerPort] = await freePorts(2);
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const cluster = `${MEMBER_NAME}=${peerUrl}`;
  const restoreArgs = ['snapshot', 'restore', file, '--data-dir', dataDir, '--name', MEMBER_NAME, '--initial-cluster', cluster, '--initial-advertise-peer-urls', peerUrl];
  const restore = await runCommand('/usr/bin/etcdctl', restoreArgs, { env: { ETCDCTL_API: '3' } });
  assert.equal(restore.code, 0, restore.stderr);
  const etcd = spawn('/usr/bin/etcd', [
    '--name', MEMBER_NAME, '--data-dir', dataDir, '--logger', 'zap',
    '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', cluster,
  ], { stdio: 'ignore' });
  try {
    const endpoint = `127.0.0.1:${clientPort}`;
    for (let attempt = 0; attempt < READY_ATTEMPTS_MAX; attempt++) {
      if ((await etcdctl(endpoint, ['endpoint', 'health'])).code === 0) break;
      await sleep(READY_PAUSE_MS);
    }
    await check(endpoint);
  } finally {
    etcd.kill('SIGKILL');
    await once(etcd, 'exit');
  }
}
