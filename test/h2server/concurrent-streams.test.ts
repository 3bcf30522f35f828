// --max-concurrent-streams on the client port: the limit is announced in SETTINGS,
// a stream beyond it is refused with RST_STREAM REFUSED_STREAM (the others go on,
// and a slot freed by a reset is usable at once), and a grpc-js client that keeps
// to the limit gets all of 50 concurrent calls answered, a call beyond the limit
// waiting for a slot rather than failing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import { KVService, PutRequest, RangeRequest, WatchService } from '../../src/generated/etcdserverpb/rpc.js';
import { ElectionService, LeaderRequest } from '../../src/generated/v3electionpb/v3election.js';
import { rawClient, unary } from '../support/grpc-raw.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { encodePlainBlock, grpcFrame, grpcRequestFields, grpcResult, H2Error, H2Setting, RawH2Connection } from '../http2/raw-h2-client.js';
import { enc, metricSum, pollUntil, portOf, sleep } from './support/h2server-fixture.js';

const TEST_TIMEOUT_MS = 30_000;
const CALL_TIMEOUT_MS = 5_000;
const MAX_STREAMS = 4;
const CONCURRENT_CALLS = 50;
/** How long a queued call is watched to make sure it does not go out. */
const QUEUED_MS = 500;

let server: ServerProcess;

before(async () => {
  server = await startServer({ name: 'h2streams', args: [`--max-concurrent-streams=${MAX_STREAMS}`] });
});
after(async () => {
  await server?.stop();
});

/** Opens a Watch stream (HEADERS only): it stays open until reset. */
function openWatch(connection: RawH2Connection): number {
  const id = connection.nextStreamId();
  connection.sendHeaders(id, encodePlainBlock(grpcRequestFields(WatchService.watch.path, server.endpoint)));
  return id;
}

/** A Range sent whole; resolves with its stream's record once the server ends or resets it. */
async function rawRange(connection: RawH2Connection): Promise<{ rstCode: number | null; status: number | null }> {
  const id = connection.nextStreamId();
  connection.sendHeaders(id, encodePlainBlock(grpcRequestFields(KVService.range.path, server.endpoint)));
  connection.sendData(id, grpcFrame(RangeRequest.encode(RangeRequest.fromPartial({ key: enc('k') })).finish()), { endStream: true });
  const record = await connection.waitStreamEnd(id, CALL_TIMEOUT_MS);
  return { rstCode: record.rstCode, status: record.headerBlocks.length > 0 ? grpcResult(record).status : null };
}

test('SETTINGS_MAX_CONCURRENT_STREAMS is announced and a fifth open stream is refused with REFUSED_STREAM', { timeout: TEST_TIMEOUT_MS }, async () => {
  const connection = await RawH2Connection.open(portOf(server));
  try {
    await connection.waitUntil('the server SETTINGS', () => connection.serverSettingsFrames >= 1, CALL_TIMEOUT_MS);
    assert.equal(connection.serverSettings.get(H2Setting.maxConcurrentStreams), MAX_STREAMS);
    const watches = Array.from({ length: MAX_STREAMS }, () => openWatch(connection));
    const refused = await rawRange(connection);
    assert.deepEqual(refused, { rstCode: H2Error.refusedStream, status: null });
    for (const id of watches) assert.equal(connection.stream(id).rstCode, null, `watch stream ${id} was left open`);
    assert.equal(connection.goaway, null, 'a refused stream is a stream error, not a connection error');

    // A reset frees its slot: the next call is served.
    connection.sendRstStream(watches[0] as number, H2Error.cancel);
    assert.deepEqual(await rawRange(connection), { rstCode: null, status: 0 });
    // With the slot taken again by a new watch, the limit holds once more.
    openWatch(connection);
    assert.deepEqual(await rawRange(connection), { rstCode: H2Error.refusedStream, status: null });
  } finally {
    await connection.close();
  }
});

test(`a grpc-js client completes ${CONCURRENT_CALLS} concurrent unary calls on a ${MAX_STREAMS}-stream connection`, { timeout: TEST_TIMEOUT_MS }, async () => {
  const client = rawClient(server.endpoint);
  try {
    const putsBefore = await metricSum(server, 'grpc_server_handled_total', { grpc_method: 'Put', grpc_code: 'OK' });
    const calls: Array<Promise<unknown>> = [];
    for (let i = 0; i < CONCURRENT_CALLS; i++) {
      const key = enc(`many/${i}`);
      calls.push(i % 2 === 0
        ? unary(client, KVService.put, PutRequest.fromPartial({ key, value: enc(String(i)) }), CALL_TIMEOUT_MS)
        : unary(client, KVService.range, RangeRequest.fromPartial({ key }), CALL_TIMEOUT_MS));
    }
    const outcomes = await Promise.allSettled(calls);
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => String((outcome as PromiseRejectedResult).reason));
    assert.deepEqual(failed, []);
    assert.equal(await metricSum(server, 'grpc_server_handled_total', { grpc_method: 'Put', grpc_code: 'OK' }) - putsBefore, CONCURRENT_CALLS / 2);
  } finally {
    client.close();
  }
});

test(`a grpc-js call beyond ${MAX_STREAMS} open streams waits for a slot instead of failing`, { timeout: TEST_TIMEOUT_MS }, async () => {
  const client = rawClient(server.endpoint);
  const observers: grpc.ClientReadableStream<unknown>[] = [];
  try {
    // Observes of an election nobody leads stay open: they fill every slot.
    for (let i = 0; i < MAX_STREAMS; i++) {
      const observer = client.makeServerStreamRequest(ElectionService.observe.path, (request: LeaderRequest) => Buffer.from(LeaderRequest.encode(request).finish()), (bytes: Buffer) => bytes, { name: enc('nobody') });
      observer.on('error', () => undefined);
      observer.on('data', () => undefined);
      observers.push(observer);
    }
    await pollUntil('every Observe to start', async () => (await metricSum(server, 'grpc_server_started_total', { grpc_method: 'Observe' })) >= MAX_STREAMS, CALL_TIMEOUT_MS);
    let answered = false;
    const waiting = unary(client, KVService.range, RangeRequest.fromPartial({ key: enc('k') }), CALL_TIMEOUT_MS).then((answer) => {
      answered = true;
      return answer;
    });
    await sleep(QUEUED_MS);
    assert.equal(answered, false, 'the call waited while every slot was taken');
    observers[0]?.cancel();
    const answer = await waiting;
    assert.equal(answer.kvs.length, 0);
  } finally {
    for (const observer of observers) observer.cancel();
    client.close();
  }
});
