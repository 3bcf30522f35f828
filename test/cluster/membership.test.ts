// Growing and shrinking a running cluster the way an operator does with etcdctl:
// add a learner, start it against the running members, promote it once it has
// caught up, then remove it; the removed member stops itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterProcess } from './support/cluster-process.js';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';
import { freePorts } from '../support/free-port.js';

const CATCH_UP_ATTEMPTS_MAX = 50;
const CATCH_UP_PAUSE_MS = 200;

function memberLine(list: string, name: string): string[] {
  const line = list.trim().split('\n').find((row) => row.split(', ')[2] === name);
  assert.ok(line !== undefined, `${name} missing from:\n${list}`);
  return line.split(', ');
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < CATCH_UP_ATTEMPTS_MAX; attempt++) {
    if (await check()) return;
    await sleep(CATCH_UP_PAUSE_MS);
  }
  assert.fail(`timed out waiting until ${what}`);
}

test('a learner joins a running cluster, is promoted, and removed again', async () => {
  const cluster = await ClusterProcess.start(3);
  try {
    const endpoint = cluster.endpoints()[0] ?? '';
    await etcdctlOk(endpoint, ['put', 'before-join', 'x']);
    const [clientPort, peerPort] = await freePorts(2);
    // etcd refuses reconfiguration until its members have been connected a while ("unhealthy cluster").
    let added = '';
    await until(async () => {
      const result = await etcdctl(endpoint, ['member', 'add', 'm4', '--learner', `--peer-urls=http://127.0.0.1:${peerPort}`]);
      added = result.stdout;
      return result.code === 0;
    }, 'the cluster accepts a member add');
    const initialCluster = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(added)?.[1];
    assert.ok(initialCluster !== undefined, added);
    assert.match(initialCluster, /m4=http:\/\/127\.0\.0\.1:\d+/);

    const listed = await etcdctlOk(endpoint, ['member', 'list']);
    assert.deepEqual(memberLine(listed, '').slice(1), ['unstarted', '', `http://127.0.0.1:${peerPort}`, '', 'true']);

    const learner = await cluster.join('m4', clientPort ?? 0, peerPort ?? 0, initialCluster);
    await until(async () => (await etcdctl(learner.endpoint, ['get', 'before-join', '--print-value-only', '--consistency=s'])).stdout.trim() === 'x', 'the learner has the data');
    const started = memberLine(await etcdctlOk(endpoint, ['member', 'list']), 'm4');
    assert.equal(started[1], 'started');
    assert.equal(started[5], 'true');

    const id = started[0] ?? '';
    await until(async () => (await etcdctl(endpoint, ['member', 'promote', id])).code === 0, 'the learner can be promoted');
    assert.equal(memberLine(await etcdctlOk(endpoint, ['member', 'list']), 'm4')[5], 'false');
    await etcdctlOk(learner.endpoint, ['put', 'written-on-m4', 'y']);

    await etcdctlOk(endpoint, ['member', 'remove', id]);
    const after = await etcdctlOk(endpoint, ['member', 'list']);
    assert.equal(after.trim().split('\n').length, 3);
    await until(async () => !learner.running, 'the removed member stopped itself');
    assert.match(learner.logs(), /permanently removed from the cluster/);
    assert.equal((await etcdctlOk(endpoint, ['get', 'written-on-m4', '--print-value-only'])).trim(), 'y');
  } finally {
    await cluster.stop();
  }
});
