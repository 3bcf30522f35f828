// A unary handler blocked when its grpc-timeout passes, on a member that lost its quorum,
// on etcd and on etcd-ts: a linearizable Range waits for a leader that never comes and
// ends at the deadline with the bare context error etcd's handler returns (UNKNOWN
// "context deadline exceeded", not DEADLINE_EXCEEDED); a serializable Range and a Status
// need no leader and are served. Measured on etcd 3.4.23 with two of three members killed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { PutRequest, RangeRequest, StatusRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { RawH2Connection, unaryCall } from '../http2/raw-h2-client.js';
import { ClusterProcess } from '../cluster/support/cluster-process.js';

const TEST_TIMEOUT_MS = 120_000;
const CALL_TIMEOUT_MS = 10_000;
const DEADLINE_MS = 500;
/** How late a deadline may fire on a loaded 2-core machine. */
const DEADLINE_LATE_MS_MAX = 1_000;
/** Long enough for the survivor to notice it lost its quorum (several election timeouts of 1 s). */
const QUORUM_LOSS_WAIT_MS = 3_000;

const range = (serializable: boolean): Uint8Array => RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from('q'), serializable })).finish();

test('without a quorum, a blocked linearizable Range ends at its deadline with UNKNOWN; what needs no leader is served', { timeout: TEST_TIMEOUT_MS }, async () => {
  for (const target of ['etcd', 'etcd-ts'] as const) {
    const cluster = await ClusterProcess.start(3, { target });
    try {
      const connection = await RawH2Connection.open(Number(cluster.member(0).endpoint.split(':')[1]));
      try {
        const put = await unaryCall(connection, '/etcdserverpb.KV/Put', PutRequest.encode(PutRequest.fromPartial({ key: Buffer.from('q'), value: Buffer.from('v') })).finish(), CALL_TIMEOUT_MS);
        assert.equal(put.status, grpc.status.OK, `${target}: put ${put.message}`);
        await Promise.all([cluster.member(1).kill(), cluster.member(2).kill()]);
        await delay(QUORUM_LOSS_WAIT_MS);
        const deadline: Array<[string, string]> = [['grpc-timeout', `${DEADLINE_MS}m`]];
        const startedMs = performance.now();
        const blocked = await unaryCall(connection, '/etcdserverpb.KV/Range', range(false), CALL_TIMEOUT_MS, deadline);
        const tookMs = performance.now() - startedMs;
        assert.deepEqual([blocked.status, blocked.message], [grpc.status.UNKNOWN, 'context deadline exceeded'], `${target}: linearizable Range`);
        assert.ok(tookMs >= DEADLINE_MS - 10 && tookMs < DEADLINE_MS + DEADLINE_LATE_MS_MAX, `${target}: ended after ${tookMs.toFixed(0)} ms`);
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
