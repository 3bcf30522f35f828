// A unary call whose handler is still running when its grpc-timeout passes, on etcd and on
// etcd-ts: gRPC-Go only ends the handler's context, so a handler that never looks at it
// (Defragment) answers OK when it is done, after the deadline; one that waits on it (a
// Lock on a held lock) still ends at the deadline with "context deadline exceeded".
// A unary or server-streaming request whose message is not all in at the deadline never
// reaches its handler: gRPC-Go's read fails with DEADLINE_EXCEEDED, whatever the method.
// Measured on etcd 3.4.23: a Defragment of about 130 ms with grpc-timeout 20m answers OK
// at 130 ms; the Lock answers UNKNOWN at 300 ms even though the lock is freed at 400 ms;
// a Range, Lock, Defragment, Observe or Snapshot without its message ends with
// DEADLINE_EXCEEDED at 300 ms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { DefragmentRequest, DefragmentResponse, LeaseGrantRequest, LeaseGrantResponse, LeaseRevokeRequest, RequestOp, TxnRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { LockRequest } from '../../src/generated/v3lockpb/v3lock.js';
import { encodePlainBlock, grpcRequestFields, grpcResult, RawH2Connection, unaryCall, type GrpcResult } from '../http2/raw-h2-client.js';
import type { ServerProcess } from '../support/server-process.js';
import { serversSideBySide } from '../support/side-by-side.js';

const TEST_TIMEOUT_MS = 90_000;
const CALL_TIMEOUT_MS = 10_000;
/** A store this large takes etcd about 130 ms and etcd-ts about 300 ms to defragment. */
const LOAD_TXNS = 20;
const PUTS_PER_TXN = 100;
const VALUE_BYTES = 10_000;
const DEFRAG_DEADLINE_MS = 20;
const LOCK_DEADLINE_MS = 300;
const LOCK_RELEASE_MS = 400;
/** How late a deadline may fire on a loaded 2-core machine. */
const DEADLINE_LATE_MS_MAX = 1_000;

let ours: ServerProcess;
let etcd: ServerProcess;

serversSideBySide('late', (started, reference) => {
  ours = started;
  etcd = reference;
});

function nameOf(server: ServerProcess): string {
  return server === etcd ? 'etcd' : 'etcd-ts';
}

async function withConnection<T>(server: ServerProcess, use: (connection: RawH2Connection) => Promise<T>): Promise<T> {
  const connection = await RawH2Connection.open(Number(server.endpoint.split(':')[1]));
  try {
    return await use(connection);
  } finally {
    await connection.close();
  }
}

function assertOk(result: GrpcResult, what: string): Buffer {
  assert.equal(result.status, grpc.status.OK, `${what}: ${result.message}`);
  return result.messages[0] ?? Buffer.alloc(0);
}

async function load(connection: RawH2Connection): Promise<void> {
  for (let txn = 0; txn < LOAD_TXNS; txn++) {
    const success = Array.from({ length: PUTS_PER_TXN }, (_, index) => RequestOp.fromPartial({
      request: { $case: 'requestPut', value: { key: Buffer.from(`late/${txn}/${index}`), value: Buffer.alloc(VALUE_BYTES, index) } },
    }));
    assertOk(await unaryCall(connection, '/etcdserverpb.KV/Txn', TxnRequest.encode(TxnRequest.fromPartial({ success })).finish(), CALL_TIMEOUT_MS), 'load');
  }
}

test('a Defragment that outlasts its grpc-timeout still answers OK when done', { timeout: TEST_TIMEOUT_MS }, async () => {
  for (const server of [etcd, ours]) {
    await withConnection(server, async (connection) => {
      await load(connection);
      const startedMs = performance.now();
      const result = await unaryCall(connection, '/etcdserverpb.Maintenance/Defragment', DefragmentRequest.encode({}).finish(), CALL_TIMEOUT_MS, [['grpc-timeout', `${DEFRAG_DEADLINE_MS}m`]]);
      const tookMs = performance.now() - startedMs;
      DefragmentResponse.decode(assertOk(result, `${nameOf(server)}: Defragment`));
      assert.equal(result.messages.length, 1, `${nameOf(server)}: one DefragmentResponse`);
      assert.ok(tookMs > DEFRAG_DEADLINE_MS, `${nameOf(server)}: answered after its ${DEFRAG_DEADLINE_MS} ms deadline (${tookMs.toFixed(0)} ms)`);
    });
  }
});

test('a Lock waiting on a lock freed after its grpc-timeout ends at the deadline', { timeout: TEST_TIMEOUT_MS }, async () => {
  for (const server of [etcd, ours]) {
    await withConnection(server, async (connection) => {
      const grant = async (): Promise<bigint> => LeaseGrantResponse.decode(assertOk(
        await unaryCall(connection, '/etcdserverpb.Lease/LeaseGrant', LeaseGrantRequest.encode(LeaseGrantRequest.fromPartial({ TTL: 60n })).finish(), CALL_TIMEOUT_MS), 'grant')).ID;
      const lock = (lease: bigint): Uint8Array => LockRequest.encode(LockRequest.fromPartial({ name: Buffer.from('late/lock'), lease })).finish();
      const holder = await grant();
      assertOk(await unaryCall(connection, '/v3lockpb.Lock/Lock', lock(holder), CALL_TIMEOUT_MS), 'the first lock');
      const waiter = await grant();
      await withConnection(server, async (other) => {
        const startedMs = performance.now();
        const released = delay(LOCK_RELEASE_MS).then(async () => unaryCall(other, '/etcdserverpb.Lease/LeaseRevoke', LeaseRevokeRequest.encode(LeaseRevokeRequest.fromPartial({ ID: holder })).finish(), CALL_TIMEOUT_MS));
        const result = await unaryCall(connection, '/v3lockpb.Lock/Lock', lock(waiter), CALL_TIMEOUT_MS, [['grpc-timeout', `${LOCK_DEADLINE_MS}m`]]);
        const tookMs = performance.now() - startedMs;
        assertOk(await released, `${nameOf(server)}: the holder's lease revoked`);
        assert.deepEqual([result.status, result.message], [grpc.status.UNKNOWN, 'context deadline exceeded'], nameOf(server));
        assert.ok(tookMs >= LOCK_DEADLINE_MS - 10 && tookMs < LOCK_RELEASE_MS, `${nameOf(server)}: ended after ${tookMs.toFixed(0)} ms`);
      });
    });
  }
});

test('a unary or server-streaming request whose message is not in by its grpc-timeout ends with DEADLINE_EXCEEDED', { timeout: TEST_TIMEOUT_MS }, async () => {
  const paths = ['/etcdserverpb.KV/Range', '/v3lockpb.Lock/Lock', '/etcdserverpb.Maintenance/Defragment', '/v3electionpb.Election/Observe', '/etcdserverpb.Maintenance/Snapshot'];
  for (const server of [etcd, ours]) {
    await withConnection(server, async (connection) => {
      for (const path of paths) {
        for (const partial of [false, true]) {
          const id = connection.nextStreamId();
          const startedMs = performance.now();
          connection.sendHeaders(id, encodePlainBlock(grpcRequestFields(path, server.endpoint, [['grpc-timeout', `${LOCK_DEADLINE_MS}m`]])));
          // A message prefix announcing 10 bytes, and 2 of them.
          if (partial) connection.sendData(id, Buffer.of(0, 0, 0, 0, 10, 1, 2));
          const result = grpcResult(await connection.waitStreamEnd(id, CALL_TIMEOUT_MS));
          const tookMs = performance.now() - startedMs;
          const what = `${nameOf(server)}: ${path}${partial ? ' with part of its message' : ' without its message'}`;
          assert.deepEqual([result.status, result.message], [grpc.status.DEADLINE_EXCEEDED, 'context deadline exceeded'], what);
          assert.ok(tookMs >= LOCK_DEADLINE_MS - 10 && tookMs < LOCK_DEADLINE_MS + DEADLINE_LATE_MS_MAX, `${what}: ended after ${tookMs.toFixed(0)} ms`);
        }
      }
    });
  }
});
