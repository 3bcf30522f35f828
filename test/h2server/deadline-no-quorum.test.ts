// A unary handler blocked when its grpc-timeout passes, on a member that lost its quorum,
// on etcd and on etcd-ts: a linearizable Range, a Put and a LeaseGrant wait for a leader
// that never comes and end at the deadline with the bare context error etcd's handler
// returns (UNKNOWN "context deadline exceeded", not DEADLINE_EXCEEDED); a Put with no
// deadline ends the same way at the server's request timeout (7 s), and a lease's
// TimeToLive waits as long, then answers "no leader"; a serializable Range and a Status
// need no leader and are served. A Put and a TimeToLive made while there is no leader
// go through once one is elected. Measured on etcd 3.4.23 with two of three members killed
// or stopped; the put during an election is also made with python-etcd3.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { LeaseGrantRequest, LeaseGrantResponse, LeaseTimeToLiveRequest, LeaseTimeToLiveResponse, PutRequest, RangeRequest, RangeResponse, StatusRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { RawH2Connection, unaryCall } from '../http2/raw-h2-client.js';
import { ClusterProcess } from '../cluster/support/cluster-process.js';
import { runPythonEtcd } from '../support/python.js';

const TEST_TIMEOUT_MS = 120_000;
const CALL_TIMEOUT_MS = 10_000;
const DEADLINE_MS = 500;
/** How late a deadline may fire on a loaded 2-core machine. */
const DEADLINE_LATE_MS_MAX = 1_000;
/** Long enough for the survivor to notice it lost its quorum (several election timeouts of 1 s). */
const QUORUM_LOSS_WAIT_MS = 3_000;
/** etcd's request timeout with the default election timeout: 5 s + 2 x 1 s. */
const REQUEST_TIMEOUT_MS = 7_000;
/** Long enough for python-etcd3 (about 0.15 s to start here) to have sent its put before a leader is back. */
const PYTHON_SENT_MS = 1_000;
/** python-etcd3's own deadline in the shared prelude is 10 s; the process gets more. */
const PYTHON_RUN_MS = 20_000;
/** A deadline that outlasts a new election after the stopped members resume. */
const ELECTION_DEADLINE_MS = 15_000;

const timeToLiveOf = (id: bigint): Uint8Array => LeaseTimeToLiveRequest.encode({ ID: id, keys: false }).finish();

async function grantLease(connection: RawH2Connection, target: string): Promise<bigint> {
  const granted = await unaryCall(connection, '/etcdserverpb.Lease/LeaseGrant', LeaseGrantRequest.encode({ TTL: 600n, ID: 0n }).finish(), CALL_TIMEOUT_MS);
  const [message] = granted.messages;
  assert.ok(granted.status === grpc.status.OK && message !== undefined, `${target}: lease grant ${granted.message}`);
  return LeaseGrantResponse.decode(message).ID;
}

const putOf = (key: string, value: string): Uint8Array => PutRequest.encode(PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from(value) })).finish();

const range = (serializable: boolean): Uint8Array => RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from('q'), serializable })).finish();

test('without a quorum, a blocked linearizable Range ends at its deadline with UNKNOWN; what needs no leader is served', { timeout: TEST_TIMEOUT_MS }, async () => {
  for (const target of ['etcd', 'etcd-ts'] as const) {
    const cluster = await ClusterProcess.start(3, { target });
    try {
      const connection = await RawH2Connection.open(Number(cluster.member(0).endpoint.split(':')[1]));
      try {
        const put = await unaryCall(connection, '/etcdserverpb.KV/Put', PutRequest.encode(PutRequest.fromPartial({ key: Buffer.from('q'), value: Buffer.from('v') })).finish(), CALL_TIMEOUT_MS);
        assert.equal(put.status, grpc.status.OK, `${target}: put ${put.message}`);
        const lease = await grantLease(connection, target);
        await Promise.all([cluster.member(1).kill(), cluster.member(2).kill()]);
        await delay(QUORUM_LOSS_WAIT_MS);
        const deadline: Array<[string, string]> = [['grpc-timeout', `${DEADLINE_MS}m`]];
        const startedMs = performance.now();
        const blocked = await unaryCall(connection, '/etcdserverpb.KV/Range', range(false), CALL_TIMEOUT_MS, deadline);
        const tookMs = performance.now() - startedMs;
        assert.deepEqual([blocked.status, blocked.message], [grpc.status.UNKNOWN, 'context deadline exceeded'], `${target}: linearizable Range`);
        assert.ok(tookMs >= DEADLINE_MS - 10 && tookMs < DEADLINE_MS + DEADLINE_LATE_MS_MAX, `${target}: ended after ${tookMs.toFixed(0)} ms`);
        for (const [path, message] of [['/etcdserverpb.KV/Put', putOf('q', 'w')], ['/etcdserverpb.Lease/LeaseGrant', LeaseGrantRequest.encode({ TTL: 60n, ID: 0n }).finish()]] as const) {
          const writeStartedMs = performance.now();
          const write = await unaryCall(connection, path, message, CALL_TIMEOUT_MS, deadline);
          const writeTookMs = performance.now() - writeStartedMs;
          assert.deepEqual([write.status, write.message], [grpc.status.UNKNOWN, 'context deadline exceeded'], `${target}: ${path}`);
          assert.ok(writeTookMs >= DEADLINE_MS - 10 && writeTookMs < DEADLINE_MS + DEADLINE_LATE_MS_MAX, `${target}: ${path} ended after ${writeTookMs.toFixed(0)} ms`);
        }
        const undatedStartedMs = performance.now();
        const undated = await unaryCall(connection, '/etcdserverpb.KV/Put', putOf('q', 'x'), REQUEST_TIMEOUT_MS + CALL_TIMEOUT_MS);
        const undatedTookMs = performance.now() - undatedStartedMs;
        assert.deepEqual([undated.status, undated.message], [grpc.status.UNKNOWN, 'context deadline exceeded'], `${target}: Put without a deadline`);
        assert.ok(undatedTookMs >= REQUEST_TIMEOUT_MS - 10 && undatedTookMs < REQUEST_TIMEOUT_MS + DEADLINE_LATE_MS_MAX, `${target}: Put without a deadline ended after ${undatedTookMs.toFixed(0)} ms`);
        const ttlStartedMs = performance.now();
        const ttl = await unaryCall(connection, '/etcdserverpb.Lease/LeaseTimeToLive', timeToLiveOf(lease), REQUEST_TIMEOUT_MS + CALL_TIMEOUT_MS);
        const ttlTookMs = performance.now() - ttlStartedMs;
        assert.deepEqual([ttl.status, ttl.message], [grpc.status.UNAVAILABLE, 'etcdserver: no leader'], `${target}: TimeToLive`);
        assert.ok(ttlTookMs >= REQUEST_TIMEOUT_MS - 10 && ttlTookMs < REQUEST_TIMEOUT_MS + DEADLINE_LATE_MS_MAX, `${target}: TimeToLive ended after ${ttlTookMs.toFixed(0)} ms`);
        const local = await unaryCall(connection, '/etcdserverpb.KV/Range', range(true), CALL_TIMEOUT_MS, deadline);
        assert.deepEqual([local.status, local.messages.length], [grpc.status.OK, 1], `${target}: serializable Range ${local.message}`);
        const status = await unaryCall(connection, '/etcdserverpb.Maintenance/Status', StatusRequest.encode({}).finish(), CALL_TIMEOUT_MS, deadline);
        assert.deepEqual([status.status, status.messages.length], [grpc.status.OK, 1], `${target}: Status ${status.message}`);
      } finally {
        await connection.close();
      }
    } finally {
      await cluster.stop();
    }
  }
});

test('a Put and a lease TimeToLive made while no leader is known wait for the election', { timeout: TEST_TIMEOUT_MS }, async () => {
  for (const target of ['etcd', 'etcd-ts'] as const) {
    const cluster = await ClusterProcess.start(3, { target });
    try {
      const connection = await RawH2Connection.open(Number(cluster.member(0).endpoint.split(':')[1]));
      try {
        const lease = await grantLease(connection, target);
        cluster.member(1).pause();
        cluster.member(2).pause();
        await delay(QUORUM_LOSS_WAIT_MS);
        const deadline: Array<[string, string]> = [['grpc-timeout', `${ELECTION_DEADLINE_MS}m`]];
        const put = unaryCall(connection, '/etcdserverpb.KV/Put', putOf('during-election', 'kept'), ELECTION_DEADLINE_MS + CALL_TIMEOUT_MS, deadline);
        const ttl = unaryCall(connection, '/etcdserverpb.Lease/LeaseTimeToLive', timeToLiveOf(lease), REQUEST_TIMEOUT_MS + CALL_TIMEOUT_MS);
        // A client nobody here wrote, which does not retry: it fails unless the server waits.
        const pythonPut = runPythonEtcd(cluster.member(0).endpoint, "c.put('python-during-election', 'kept'); out(True)", { timeoutMs: PYTHON_RUN_MS });
        await delay(PYTHON_SENT_MS);
        cluster.member(1).resume();
        cluster.member(2).resume();
        const lived = await ttl;
        const [ttlMessage] = lived.messages;
        assert.ok(lived.status === grpc.status.OK && ttlMessage !== undefined, `${target}: TimeToLive ${lived.message}`);
        assert.ok(LeaseTimeToLiveResponse.decode(ttlMessage).TTL > 0n, `${target}: the lease is still alive`);
        const answered = await put;
        assert.equal(answered.status, grpc.status.OK, `${target}: put ${answered.message}`);
        assert.equal(await pythonPut, true, `${target}: python-etcd3 put`);
        for (const key of ['during-election', 'python-during-election']) {
          const read = await unaryCall(connection, '/etcdserverpb.KV/Range', RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from(key) })).finish(), CALL_TIMEOUT_MS);
          assert.equal(read.status, grpc.status.OK, `${target}: range ${read.message}`);
          const [message] = read.messages;
          assert.ok(message !== undefined, `${target}: no range response`);
          assert.equal(Buffer.from(RangeResponse.decode(message).kvs[0]?.value ?? []).toString(), 'kept', `${target}: the put of ${key} was applied`);
        }
      } finally {
        await connection.close();
      }
    } finally {
      cluster.member(1).resume();
      cluster.member(2).resume();
      await cluster.stop();
    }
  }
});
