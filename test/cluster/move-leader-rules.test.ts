// MoveLeader's rules without a cluster: who may be asked, who may lead next, and
// that a transfer raft never finishes ends at the caller's deadline, not never.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EtcdError } from '../../src/errors/etcd-error.js';
import { SILENT_LOGGER } from '../../src/log/logger.js';
import { moveLeader, moveLeaderDeadlineEpochMs, MOVE_LEADER_WAIT_MS_MAX, type LeaderTransferTarget } from '../../src/server/move-leader.js';

const POLL_MS = 5;
const SHORT_WAIT_MS = 60;

function fakeTarget(leader: bigint, options: { finishes: boolean; voters: readonly bigint[] }): LeaderTransferTarget & { asked: bigint[] } {
  let current = leader;
  const asked: bigint[] = [];
  return {
    memberId: 1n,
    asked,
    currentLeader: () => current,
    isVotingMember: (id) => options.voters.includes(id),
    transferLeadership: (_from, to) => {
      asked.push(to);
      if (options.finishes) setTimeout(() => (current = to), POLL_MS * 3);
    },
    isStopping: () => false,
  };
}

async function codeOf(promise: Promise<void>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof EtcdError) return error.code;
    throw error;
  }
  return 'ok';
}

test('the leader moves leadership to a voter and returns once the voter leads', async () => {
  const target = fakeTarget(1n, { finishes: true, voters: [1n, 2n, 3n] });
  const deadline = Date.now() + 5_000;
  assert.equal(await codeOf(moveLeader(target, 2n, { pollIntervalMs: POLL_MS, deadlineEpochMs: deadline }, SILENT_LOGGER)), 'ok');
  assert.deepEqual(target.asked, [2n]);
  assert.equal(target.currentLeader(), 2n);
});

test('a follower, an unknown member, a learner and a stuck transfer each get their etcd error', async () => {
  const limits = { pollIntervalMs: POLL_MS, deadlineEpochMs: Date.now() + 5_000 };
  assert.equal(await codeOf(moveLeader(fakeTarget(2n, { finishes: true, voters: [1n, 2n] }), 2n, limits, SILENT_LOGGER)), 'NotLeader');
  const noTransfer = fakeTarget(1n, { finishes: true, voters: [1n, 2n] });
  assert.equal(await codeOf(moveLeader(noTransfer, 9n, limits, SILENT_LOGGER)), 'BadLeaderTransferee');
  assert.deepEqual(noTransfer.asked, [], 'raft is not asked for a bad transferee');
  const stuck = fakeTarget(1n, { finishes: false, voters: [1n, 2n] });
  const started = Date.now();
  const code = await codeOf(moveLeader(stuck, 2n, { pollIntervalMs: POLL_MS, deadlineEpochMs: Date.now() + SHORT_WAIT_MS }, SILENT_LOGGER));
  assert.equal(code, 'TimeoutLeaderTransfer');
  assert.ok(Date.now() - started < SHORT_WAIT_MS + 1_000, 'gives up at the deadline');
});

test('the wait follows the gRPC deadline, bounded when the client set none', () => {
  const now = 1_000_000;
  assert.equal(moveLeaderDeadlineEpochMs(new Date(now + 3_000), now), now + 3_000);
  assert.equal(moveLeaderDeadlineEpochMs(Number.POSITIVE_INFINITY, now), now + MOVE_LEADER_WAIT_MS_MAX);
  assert.equal(moveLeaderDeadlineEpochMs(undefined, now), now + MOVE_LEADER_WAIT_MS_MAX);
});
