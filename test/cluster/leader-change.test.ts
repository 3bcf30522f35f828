// Requests caught in a leader change answer soon, not at the request timeout: a put
// forwarded to a leader that was just killed fails with "etcdserver: leader changed"
// once the new leader's first entry is applied, and a linearizable read waiting on
// the dead leader is answered by the new one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { ClusterProcess } from './support/cluster-process.js';
import { agreedLeader } from './support/cluster-status.js';
import { grpcFailure, rawClient, unary } from '../support/grpc-raw.js';
import { KVService, PutRequest, RangeRequest } from '../../src/generated/etcdserverpb/rpc.js';

const LEADER_DEADLINE_MS = 15_000;
const CALL_DEADLINE_MS = 10_000;
/** etcd-ts's (and etcd's) request timeout is 7 s; an answer well before it shows the fast path. */
const ANSWER_WITHIN_MS = 5_000;

async function timed<T>(work: Promise<T>): Promise<{ tookMs: number; result: T }> {
  const started = Date.now();
  const result = await work;
  return { tookMs: Date.now() - started, result };
}

test('a write lost with a killed leader fails fast with "leader changed"; a read waiting on it is answered', { timeout: 90_000 }, async () => {
  const cluster = await ClusterProcess.start(3);
  try {
    const endpoints = cluster.endpoints();
    const lines = await agreedLeader(endpoints, LEADER_DEADLINE_MS);
    const leaderIndex = lines.findIndex((line) => line.memberId === line.leader);
    const followers = cluster.members.filter((_member, index) => index !== leaderIndex);
    const [first, second] = followers;
    assert.ok(leaderIndex >= 0 && first !== undefined && second !== undefined);
    const putClient = rawClient(first.endpoint);
    const readClient = rawClient(second.endpoint);
    try {
      // Warm both channels so the calls below start at once.
      await unary(putClient, KVService.put, PutRequest.fromPartial({ key: Buffer.from('warm'), value: Buffer.from('1') }), CALL_DEADLINE_MS);
      await unary(readClient, KVService.range, RangeRequest.fromPartial({ key: Buffer.from('warm') }), CALL_DEADLINE_MS);

      await cluster.member(leaderIndex).kill();
      const put = timed(grpcFailure(unary(putClient, KVService.put, PutRequest.fromPartial({ key: Buffer.from('lost'), value: Buffer.from('x') }), CALL_DEADLINE_MS)));
      const read = timed(unary(readClient, KVService.range, RangeRequest.fromPartial({ key: Buffer.from('warm') }), CALL_DEADLINE_MS));
      const [putOutcome, readOutcome] = await Promise.all([put, read]);
      console.log(`leader killed: lost put answered in ${putOutcome.tookMs} ms, read in ${readOutcome.tookMs} ms`);

      assert.deepEqual(putOutcome.result, { code: status.UNAVAILABLE, details: 'etcdserver: leader changed' });
      assert.ok(putOutcome.tookMs < ANSWER_WITHIN_MS, `the lost put waited ${putOutcome.tookMs} ms`);
      assert.equal(readOutcome.result.kvs[0]?.value.toString(), '1');
      assert.ok(readOutcome.tookMs < ANSWER_WITHIN_MS, `the read waited ${readOutcome.tookMs} ms`);
      // The new leader takes writes; the failed put left nothing behind.
      await unary(putClient, KVService.put, PutRequest.fromPartial({ key: Buffer.from('after'), value: Buffer.from('y') }), CALL_DEADLINE_MS);
      const lost = await unary(readClient, KVService.range, RangeRequest.fromPartial({ key: Buffer.from('lost') }), CALL_DEADLINE_MS);
      assert.equal(lost.kvs.length, 0);
    } finally {
      putClient.close();
      readClient.close();
    }
  } finally {
    await cluster.stop();
  }
});
