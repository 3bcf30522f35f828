// Deadlines and cancellation of streaming calls on the client port: an election
// Observe sent with grpc-timeout 300m ends near 300 ms with etcd's UNKNOWN "context
// deadline exceeded" (with
// no leader, and after streaming a leader), and a Watch the client resets (raw
// RST_STREAM CANCEL, or grpc-js's cancel()) frees its call and its watcher: the
// grpc_server started/handled counters balance again and the hub holds no watcher;
// a Watch whose own grpc-timeout passes is freed the same way.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { startServer as startEmbedded, type RunningServer } from '../../src/embed/start-server.js';
import { LeaseGrantRequest, LeaseService, WatchRequest, WatchResponse, WatchService } from '../../src/generated/etcdserverpb/rpc.js';
import { CampaignRequest, ElectionService, LeaderRequest, LeaderResponse } from '../../src/generated/v3electionpb/v3election.js';
import { watchHubOf } from '../../src/watch/watch-hub-registry.js';
import { rawClient, unary } from '../support/grpc-raw.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { encodePlainBlock, grpcFrame, grpcRequestFields, grpcResult, H2Error, RawH2Connection } from '../http2/raw-h2-client.js';
import { enc, metricSum, pollUntil, portOf } from './support/h2server-fixture.js';

const TEST_TIMEOUT_MS = 20_000;
const CALL_TIMEOUT_MS = 5_000;
const DEADLINE_MS = 300;
/** Go's context.DeadlineExceeded text, which etcd's blocking handlers answer with. */
const CONTEXT_DEADLINE_TEXT = 'context deadline exceeded';
/** How late a deadline may fire on a loaded 2-core machine. */
const DEADLINE_LATE_MS_MAX = 1_000;

let server: ServerProcess;
let embedded: RunningServer;

before(async () => {
  server = await startServer({ name: 'h2deadline' });
  embedded = await startEmbedded({ name: 'h2cancel' });
});
after(async () => {
  await embedded?.close();
  await server?.stop();
});

/** An Observe sent whole with grpc-timeout; resolves with its answer and how long it took. */
async function observeWithTimeout(name: string): Promise<{ ms: number; status: number | null; message: string; leaders: LeaderResponse[]; headerBlocks: number }> {
  const connection = await RawH2Connection.open(portOf(server));
  try {
    const id = connection.nextStreamId();
    const started = performance.now();
    connection.sendHeaders(id, encodePlainBlock(grpcRequestFields(ElectionService.observe.path, server.endpoint, [['grpc-timeout', `${DEADLINE_MS}m`]])));
    connection.sendData(id, grpcFrame(LeaderRequest.encode({ name: enc(name) }).finish()), { endStream: true });
    const record = await connection.waitStreamEnd(id, CALL_TIMEOUT_MS);
    const ms = performance.now() - started;
    const result = grpcResult(record);
    return { ms, status: result.status, message: result.message, leaders: result.messages.map((message) => LeaderResponse.decode(message)), headerBlocks: record.headerBlocks.length };
  } finally {
    await connection.close();
  }
}

test('an Observe with grpc-timeout 300m ends with UNKNOWN "context deadline exceeded", with no leader and after streaming one', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const waiting = await observeWithTimeout('h2-no-leader');
  assert.deepEqual([waiting.status, waiting.message], [grpc.status.UNKNOWN, CONTEXT_DEADLINE_TEXT]);
  assert.equal(waiting.leaders.length, 0);
  assert.ok(waiting.ms >= DEADLINE_MS - 10 && waiting.ms < DEADLINE_MS + DEADLINE_LATE_MS_MAX, `no-leader Observe ended after ${waiting.ms.toFixed(0)} ms`);

  const client = rawClient(server.endpoint);
  try {
    const lease = await unary(client, LeaseService.leaseGrant, LeaseGrantRequest.fromPartial({ TTL: 60n }));
    await unary(client, ElectionService.campaign, CampaignRequest.fromPartial({ name: enc('h2-led'), lease: lease.ID, value: enc('me') }));
  } finally {
    client.close();
  }
  const led = await observeWithTimeout('h2-led');
  t.diagnostic(`Observe deadlines fired after ${waiting.ms.toFixed(0)} ms and ${led.ms.toFixed(0)} ms`);
  assert.deepEqual([led.status, led.message], [grpc.status.UNKNOWN, CONTEXT_DEADLINE_TEXT]);
  assert.equal(led.headerBlocks, 2, 'response headers, the leader, then trailers');
  assert.equal(led.leaders[0]?.kv?.value.toString(), 'me');
  assert.ok(led.ms >= DEADLINE_MS - 10 && led.ms < DEADLINE_MS + DEADLINE_LATE_MS_MAX, `led Observe ended after ${led.ms.toFixed(0)} ms`);
});

interface WatchCounts {
  readonly open: number;
  readonly cancelled: number;
  readonly watchers: number;
}

async function watchCounts(): Promise<WatchCounts> {
  const labels = { grpc_service: 'etcdserverpb.Watch', grpc_method: 'Watch' };
  const started = await metricSum(embedded, 'grpc_server_started_total', labels);
  const handled = await metricSum(embedded, 'grpc_server_handled_total', labels);
  const cancelled = await metricSum(embedded, 'grpc_server_handled_total', { ...labels, grpc_code: 'Canceled' });
  return { open: started - handled, cancelled, watchers: watchHubOf(embedded.server).watcherCount() };
}

const createRequest = (key: string): WatchRequest => WatchRequest.fromPartial({ requestUnion: { $case: 'createRequest', value: { key: enc(key) } } });

test('a Watch reset by its client (RST_STREAM CANCEL) is freed: the open-call count and the watcher count drop back', { timeout: TEST_TIMEOUT_MS }, async () => {
  const before = await watchCounts();
  const connection = await RawH2Connection.open(Number(new URL(embedded.clientUrl).port));
  try {
    const id = connection.nextStreamId();
    connection.sendHeaders(id, encodePlainBlock(grpcRequestFields(WatchService.watch.path, embedded.endpoint)));
    connection.sendData(id, grpcFrame(WatchRequest.encode(createRequest('cancel/raw')).finish()));
    const record = connection.stream(id);
    await connection.waitUntil('the created response', () => record.dataBytes > 5, CALL_TIMEOUT_MS);
    const open = await watchCounts();
    assert.deepEqual(open, { open: before.open + 1, cancelled: before.cancelled, watchers: before.watchers + 1 });

    connection.sendRstStream(id, H2Error.cancel);
    await pollUntil('the watch to be freed', async () => (await watchCounts()).open === before.open, CALL_TIMEOUT_MS);
    assert.deepEqual(await watchCounts(), { open: before.open, cancelled: before.cancelled + 1, watchers: before.watchers });
    assert.equal(connection.goaway, null, 'the connection goes on');
  } finally {
    await connection.close();
  }
});

test('a grpc-js Watch cancelled by its client is freed the same way', { timeout: TEST_TIMEOUT_MS }, async () => {
  const before = await watchCounts();
  const client = rawClient(embedded.endpoint);
  try {
    const call = client.makeBidiStreamRequest(
      WatchService.watch.path,
      (request: WatchRequest) => Buffer.from(WatchRequest.encode(request).finish()),
      (bytes: Buffer) => WatchResponse.decode(bytes),
    );
    const ended = new Promise<number>((resolve) => call.on('status', (status: grpc.StatusObject) => resolve(status.code)));
    call.on('error', () => undefined);
    const created = new Promise<void>((resolve) => call.once('data', () => resolve()));
    call.write(createRequest('cancel/grpc-js'));
    await created;
    assert.equal((await watchCounts()).watchers, before.watchers + 1);
    call.cancel();
    assert.equal(await ended, grpc.status.CANCELLED);
    await pollUntil('the watch to be freed', async () => (await watchCounts()).open === before.open, CALL_TIMEOUT_MS);
    assert.deepEqual(await watchCounts(), { open: before.open, cancelled: before.cancelled + 1, watchers: before.watchers });
  } finally {
    client.close();
  }
});

test('a Watch whose grpc-timeout passes ends with UNKNOWN "context deadline exceeded" and is freed too', { timeout: TEST_TIMEOUT_MS }, async () => {
  const before = await watchCounts();
  const connection = await RawH2Connection.open(Number(new URL(embedded.clientUrl).port));
  try {
    const id = connection.nextStreamId();
    connection.sendHeaders(id, encodePlainBlock(grpcRequestFields(WatchService.watch.path, embedded.endpoint, [['grpc-timeout', `${DEADLINE_MS}m`]])));
    connection.sendData(id, grpcFrame(WatchRequest.encode(createRequest('deadline/raw')).finish()));
    const record = connection.stream(id);
    await connection.waitUntil('the created response', () => record.dataBytes > 5, CALL_TIMEOUT_MS);
    assert.equal((await watchCounts()).watchers, before.watchers + 1);
    const result = grpcResult(await connection.waitStreamEnd(id, CALL_TIMEOUT_MS));
    assert.deepEqual([result.status, result.message], [grpc.status.UNKNOWN, CONTEXT_DEADLINE_TEXT]);
    await pollUntil('the watch to be freed', async () => (await watchCounts()).open === before.open, CALL_TIMEOUT_MS);
    assert.equal((await watchCounts()).watchers, before.watchers);
    const labels = { grpc_service: 'etcdserverpb.Watch', grpc_method: 'Watch' };
    assert.equal((await watchCounts()).cancelled, before.cancelled, 'a deadline is not counted as Canceled');
    // As etcd's interceptor counts a handler's bare context error.
    assert.ok(await metricSum(embedded, 'grpc_server_handled_total', { ...labels, grpc_code: 'Unknown' }) >= 1, 'counted as Unknown');
  } finally {
    await connection.close();
  }
});
