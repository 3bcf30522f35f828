// --peer-auto-tls: each member makes its own self-signed peer certificate under
// <data-dir>/fixtures/peer, and the members (which cannot verify each other's, as in
// etcd) still form a cluster over https peer URLs and replicate.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { etcdctl } from '../support/etcdctl.js';
import { freePorts } from '../support/free-port.js';
import { TlsProcess } from './support/tls-process.js';

const MEMBERS = 3;
const POLL_ATTEMPTS_MAX = 100;
const POLL_PAUSE_MS = 200;

let root: string;
const processes: TlsProcess[] = [];
const clientUrls: string[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'etcd-ts-peer-auto-tls-'));
  const ports = await freePorts(MEMBERS * 2);
  const peerUrl = (i: number): string => `https://127.0.0.1:${ports[MEMBERS + i]}`;
  const cluster = Array.from({ length: MEMBERS }, (_, i) => `m${i}=${peerUrl(i)}`).join(',');
  await Promise.all(Array.from({ length: MEMBERS }, async (_, i) => {
    const clientUrl = `http://127.0.0.1:${ports[i]}`;
    clientUrls.push(clientUrl);
    processes.push(await TlsProcess.start([
      `--name=m${i}`, `--data-dir=${join(root, `m${i}`)}`, `--listen-client-urls=${clientUrl}`, `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl(i)}`, `--initial-advertise-peer-urls=${peerUrl(i)}`, `--initial-cluster=${cluster}`, '--peer-auto-tls',
    ]));
  }));
});

after(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

test('members with self-signed peer certificates form a cluster and replicate', { timeout: 90_000 }, async () => {
  for (let i = 0; i < MEMBERS; i++) assert.ok(existsSync(join(root, `m${i}`, 'fixtures', 'peer', 'cert.pem')));
  const put = await etcdctl(clientUrls[0] ?? '', ['put', 'auto-peer', 'ok']);
  assert.equal(put.code, 0, put.stderr);
  for (const url of clientUrls) {
    let value = '';
    for (let attempt = 0; attempt < POLL_ATTEMPTS_MAX && value === ''; attempt++) {
      value = (await etcdctl(url, ['get', 'auto-peer', '--print-value-only', '--consistency=s'])).stdout.trim();
      if (value === '') await sleep(POLL_PAUSE_MS);
    }
    assert.equal(value, 'ok', `replicated to ${url}`);
  }
});
