// Corruption checks, as etcd's: one member's backend is damaged while it is stopped.
// Restarted with --experimental-initial-corrupt-check it refuses to serve (etcd's log
// lines and exit); restarted without, the leader's periodic check
// (--experimental-corrupt-check-time) raises the CORRUPT alarm, after which writes
// fail with "etcdserver: corrupt cluster" while reads go on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { ClusterProcess } from './support/cluster-process.js';
import { agreedLeader } from './support/cluster-status.js';
import { rewriteNewestValue } from './support/corrupt-backend.js';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';
import { grpcFailure, rawClient, unary } from '../support/grpc-raw.js';
import { KVService, PutRequest, RangeRequest } from '../../src/generated/etcdserverpb/rpc.js';

const LEADER_DEADLINE_MS = 15_000;
const ALARM_DEADLINE_MS = 15_000;
const POLL_MS = 200;
const CHECK_INTERVAL = '500ms';

test('a damaged member is refused at start-up, and the periodic check raises CORRUPT', { timeout: 120_000 }, async () => {
  const cluster = await ClusterProcess.start(3, { args: [`--experimental-corrupt-check-time=${CHECK_INTERVAL}`] });
  try {
    const all = cluster.endpoints().join(',');
    const lines = await agreedLeader(cluster.endpoints(), LEADER_DEADLINE_MS);
    for (let i = 0; i < 20; i++) await etcdctlOk(all, ['put', `k${i}`, `v${i}`]);
    // Every member has applied the last write before the victim stops.
    for (const endpoint of cluster.endpoints()) assert.equal((await etcdctlOk(endpoint, ['get', 'k19', '--print-value-only'])).trim(), 'v19');
    const victimIndex = lines.findIndex((line) => line.memberId !== line.leader);
    const victim = cluster.member(victimIndex);
    await victim.stop();
    await rewriteNewestValue(victim.dataDir, 'k7', 'damaged');

    await assert.rejects(victim.start(['--experimental-initial-corrupt-check=true']), /exited \(code 1\) before ready/);
    assert.match(victim.logs(), /"msg":"found different hash values from remote peer"/);
    assert.match(victim.logs(), /"msg":"discovery failed".*found data inconsistency with peers/);

    // Without the start-up check it serves (its damaged value included), until the leader notices.
    await victim.start();
    assert.equal((await etcdctlOk(victim.endpoint, ['get', 'k7', '--print-value-only', '--consistency=s'])).trim(), 'damaged');
    const started = Date.now();
    let alarms = '';
    while (!alarms.includes('alarm:CORRUPT') && Date.now() - started < ALARM_DEADLINE_MS) {
      await sleep(POLL_MS);
      alarms = (await etcdctl(all, ['alarm', 'list'])).stdout;
    }
    console.log(`CORRUPT alarm raised ${Date.now() - started} ms after the damaged member started`);
    // etcd raises it for member 0, which etcdctl's text form leaves out.
    assert.equal(alarms.trim(), 'alarm:CORRUPT');

    const client = rawClient(cluster.member((victimIndex + 1) % 3).endpoint);
    try {
      const refused = await grpcFailure(unary(client, KVService.put, PutRequest.fromPartial({ key: Buffer.from('after'), value: Buffer.from('x') })));
      assert.deepEqual(refused, { code: status.DATA_LOSS, details: 'etcdserver: corrupt cluster' });
      const read = await unary(client, KVService.range, RangeRequest.fromPartial({ key: Buffer.from('k3') }));
      assert.equal(read.kvs[0]?.value.toString(), 'v3', 'reads are still served');
    } finally {
      client.close();
    }
    const cli = await etcdctl(all, ['put', 'after', 'x']);
    assert.match(cli.stderr, /etcdserver: corrupt cluster/);
  } finally {
    await cluster.stop();
  }
});
