// Moving leadership the way an operator does: `etcdctl move-leader <id>` hands the
// role to the named follower and every member then follows it; asked of a follower,
// for an unknown member or for a learner, MoveLeader fails with etcd's errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { ClusterProcess } from './support/cluster-process.js';
import { agreedLeader } from './support/cluster-status.js';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';
import { freePorts } from '../support/free-port.js';
import { grpcFailure, rawClient, unary } from '../support/grpc-raw.js';
import { MaintenanceService, MoveLeaderRequest } from '../../src/generated/etcdserverpb/rpc.js';

const LEADER_DEADLINE_MS = 15_000;
const MOVE_DEADLINE_MS = 5_000;
const MEMBER_ADD_ATTEMPTS_MAX = 50;

function moveLeaderOn(endpoint: string, targetID: bigint): Promise<unknown> {
  const client = rawClient(endpoint);
  return unary(client, MaintenanceService.moveLeader, MoveLeaderRequest.fromPartial({ targetID }), MOVE_DEADLINE_MS).finally(() => client.close());
}

async function addLearner(endpoint: string): Promise<bigint> {
  const [peerPort] = await freePorts(1);
  for (let attempt = 0; attempt < MEMBER_ADD_ATTEMPTS_MAX; attempt++) {
    const result = await etcdctl(endpoint, ['member', 'add', 'm4', '--learner', `--peer-urls=http://127.0.0.1:${peerPort}`]);
    const id = /Member\s+([0-9a-f]+) added/.exec(result.stdout)?.[1];
    if (result.code === 0 && id !== undefined) return BigInt(`0x${id}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the cluster never accepted a learner');
}

test('etcdctl move-leader hands leadership to a follower; bad requests get etcd errors', { timeout: 90_000 }, async () => {
  const cluster = await ClusterProcess.start(3);
  try {
    const endpoints = cluster.endpoints();
    const before = await agreedLeader(endpoints, LEADER_DEADLINE_MS);
    const oldLeader = before[0]?.leader ?? 0n;
    const leaderLine = before.find((line) => line.memberId === oldLeader);
    const follower = before.find((line) => line.memberId !== oldLeader);
    assert.ok(leaderLine !== undefined && follower !== undefined);

    const out = await etcdctlOk(endpoints.join(','), ['move-leader', follower.memberId.toString(16)]);
    assert.equal(out.trim(), `Leadership transferred from ${oldLeader.toString(16)} to ${follower.memberId.toString(16)}`);
    const after = await agreedLeader(endpoints, LEADER_DEADLINE_MS);
    for (const line of after) assert.equal(line.leader, follower.memberId, `${line.endpoint} follows the new leader`);
    assert.ok((after[0]?.term ?? 0n) > (before[0]?.term ?? 0n), 'the transfer is an election in a new term');
    await etcdctlOk(leaderLine.endpoint, ['put', 'after-move', 'ok']);
    assert.equal((await etcdctlOk(follower.endpoint, ['get', 'after-move', '--print-value-only'])).trim(), 'ok');

    // The old leader is a follower now: it refuses, as etcd's maintenance server does.
    const notLeader = await grpcFailure(moveLeaderOn(leaderLine.endpoint, oldLeader));
    assert.deepEqual(notLeader, { code: status.FAILED_PRECONDITION, details: 'etcdserver: not leader' });

    const unknown = await grpcFailure(moveLeaderOn(follower.endpoint, 0x1234n));
    assert.deepEqual(unknown, { code: status.FAILED_PRECONDITION, details: 'etcdserver: bad leader transferee' });
    const learnerId = await addLearner(follower.endpoint);
    const learner = await grpcFailure(moveLeaderOn(follower.endpoint, learnerId));
    assert.deepEqual(learner, { code: status.FAILED_PRECONDITION, details: 'etcdserver: bad leader transferee' });
    const cli = await etcdctl(follower.endpoint, ['move-leader', learnerId.toString(16)]);
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /etcdserver: bad leader transferee/);
    const still = await agreedLeader(endpoints, LEADER_DEADLINE_MS);
    assert.equal(still[0]?.leader, follower.memberId, 'refused moves leave the leader in place');
  } finally {
    await cluster.stop();
  }
});
