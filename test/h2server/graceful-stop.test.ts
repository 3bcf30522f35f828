// SIGTERM on a server with client connections: an idle connection gets GOAWAY with
// NO_ERROR and is closed; a blocked Lock ends with "server stopped"; a connection
// with a live stream gets GOAWAY too, its stream is still served while the grace
// period lasts but a new stream on it, or a new connection, is refused; the process exits 0 within the
// grace period, and after that nobody can connect.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { KVService, LeaseGrantRequest, LeaseKeepAliveRequest, LeaseKeepAliveResponse, LeaseService, RangeRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { LockRequest, LockService } from '../../src/generated/v3lockpb/v3lock.js';
import { GRACEFUL_STOP_TIMEOUT_MS } from '../../src/server/server-options.js';
import { grpcFailure, rawClient, unary } from '../support/grpc-raw.js';
import { startServer } from '../support/server-process.js';
import { encodePlainBlock, grpcFrame, grpcRequestFields, grpcResult, H2Error, RawH2Connection, unaryCall } from '../http2/raw-h2-client.js';
import { enc, portOf, sleep } from './support/h2server-fixture.js';

const TEST_TIMEOUT_MS = 30_000;
const CALL_TIMEOUT_MS = 5_000;
/** What a stop may take beyond the grace period: closing raft, the WAL and the backend. */
const STOP_AFTER_GRACE_MS_MAX = 2_000;
const LOCK_WAIT_MS = 20_000;

/** Messages whole so far on a stream (a trailing partial one is left). */
function messageCount(body: Buffer): number {
  let count = 0;
  // Each pass takes one whole message.
  for (let at = 0; body.length - at >= 5 && body.length - at >= 5 + body.readUInt32BE(at + 1); at += 5 + body.readUInt32BE(at + 1)) count++;
  return count;
}

function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

test('SIGTERM: GOAWAY NO_ERROR to every connection, in-flight streams served through the grace period, then exit 0 and no new connections', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const server = await startServer({ name: 'h2stop' });
  const port = portOf(server);
  const client = rawClient(server.endpoint);
  const idle = await RawH2Connection.open(port);
  const busy = await RawH2Connection.open(port);
  t.after(async () => {
    client.close();
    await idle.close();
    await busy.close();
    await server.stop();
  });
  const grant = async (): Promise<bigint> => (await unary(client, LeaseService.leaseGrant, LeaseGrantRequest.fromPartial({ TTL: 60n }))).ID;
  await unary(client, LockService.lock, LockRequest.fromPartial({ name: enc('stop'), lease: await grant() }));
  const waitingLock = grpcFailure(unary(client, LockService.lock, LockRequest.fromPartial({ name: enc('stop'), lease: await grant() }), LOCK_WAIT_MS));
  const idleRange = await unaryCall(idle, KVService.range.path, RangeRequest.encode(RangeRequest.fromPartial({ key: enc('k') })).finish(), CALL_TIMEOUT_MS);
  assert.equal(idleRange.status, 0);

  // A LeaseKeepAlive stream is a call that nothing at shutdown ends on its own.
  const leaseId = await grant();
  const keepAlive = busy.nextStreamId();
  const keepAliveMessage = grpcFrame(LeaseKeepAliveRequest.encode({ ID: leaseId }).finish());
  busy.sendHeaders(keepAlive, encodePlainBlock(grpcRequestFields(LeaseService.leaseKeepAlive.path, server.endpoint)));
  busy.sendData(keepAlive, keepAliveMessage);
  const keepAliveRecord = busy.stream(keepAlive);
  await busy.waitUntil('the first keep-alive answer', () => messageCount(Buffer.concat(keepAliveRecord.data)) >= 1, CALL_TIMEOUT_MS);
  await sleep(200);

  const stopStarted = performance.now();
  const stopped = server.stop();
  const idleGoaway = await idle.waitGoawayOrClose(CALL_TIMEOUT_MS);
  assert.deepEqual(idleGoaway, { lastStreamId: 1, errorCode: H2Error.noError, debug: '' });
  assert.equal(await idle.waitClosed(CALL_TIMEOUT_MS), true, 'an idle connection is closed after its GOAWAY');
  assert.deepEqual(await waitingLock, { code: grpc.status.UNAVAILABLE, details: 'etcdserver: server stopped' });

  const busyGoaway = await busy.waitGoawayOrClose(CALL_TIMEOUT_MS);
  assert.equal(busyGoaway?.errorCode, H2Error.noError);
  assert.equal(busyGoaway?.lastStreamId, keepAlive);
  // Within the grace period the open stream is still served...
  busy.sendData(keepAlive, keepAliveMessage);
  await busy.waitUntil('a keep-alive answer after GOAWAY', () => messageCount(Buffer.concat(keepAliveRecord.data)) >= 2, CALL_TIMEOUT_MS);
  const answer = LeaseKeepAliveResponse.decode(grpcResult({ ...keepAliveRecord, headerBlocks: [] }).messages[1] ?? Buffer.alloc(0));
  assert.equal(answer.ID, leaseId);
  // ...but a new one is not.
  const late = busy.nextStreamId();
  busy.sendHeaders(late, encodePlainBlock(grpcRequestFields(KVService.range.path, server.endpoint)));
  busy.sendData(late, grpcFrame(RangeRequest.encode(RangeRequest.fromPartial({ key: enc('k') })).finish()), { endStream: true });
  assert.equal((await busy.waitStreamEnd(late, CALL_TIMEOUT_MS)).rstCode, H2Error.refusedStream);
  // Nor is a new connection, already during the grace period.
  assert.equal(await connectOutcome(port), 'ECONNREFUSED');
  assert.equal(busy.closed, false, 'the busy connection lasts while the grace period does');

  const code = await stopped;
  const stopMs = performance.now() - stopStarted;
  t.diagnostic(`stopped in ${stopMs.toFixed(0)} ms (grace ${GRACEFUL_STOP_TIMEOUT_MS} ms) with code ${code}`);
  assert.equal(code, 0);
  assert.ok(stopMs < GRACEFUL_STOP_TIMEOUT_MS + STOP_AFTER_GRACE_MS_MAX, `stop took ${stopMs.toFixed(0)} ms`);
  assert.equal(await busy.waitClosed(CALL_TIMEOUT_MS), true, 'the busy connection is cut at the end of the grace period');
  assert.equal(await connectOutcome(port), 'ECONNREFUSED');
});
