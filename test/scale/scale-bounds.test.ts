// A short slice of `npm run bench:scale` against a real etcd-ts process: a large range, a
// stalled watcher and a flood of unread unary calls, with the same bounds as the full
// check (bench/scale-bounds.ts). The flood also checks what a flooding client observes:
// once a connection holds HELD_CALLS_PER_CONNECTION_MAX calls whose replies it does not read, further calls
// get "too many requests" at once instead of being held (without that, the server holds
// every request and reply, as etcd 3.4 does, and the growth bound breaks).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_LIMITS, floodViolations, rangeViolations, watchViolations } from '../../bench/scale-bounds.js';
import { floodScenario } from '../../bench/scale-flood.js';
import { ServerMemory } from '../../bench/scale-memory.js';
import { rangeScenario } from '../../bench/scale-range.js';
import { slowWatchScenario } from '../../bench/scale-watch.js';
import { defaultBinaries, ServerProcess } from '../../bench/server-process.js';
import { HELD_CALLS_PER_CONNECTION_MAX } from '../../src/api/h2server/grpc-connection-limits.js';
import { KVService, PutRequest, RangeRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { Http2Connection } from '../../bench/http2-connection.js';

const KEYS = 20_000;
const VALUE_BYTES = 256;
const WATCH_EVENTS = 10_000;
const FLOOD_CONNECTIONS = 2;
const FLOOD_S = 5;
const TEST_TIMEOUT_MS = 120_000;
/** Well past every per-connection bound, with range replies of up to 500 keys (~140 KB) among them. */
const PIPELINED_CALLS = 3 * HELD_CALLS_PER_CONNECTION_MAX;

test('etcd-ts keeps memory bounded under a large range, a stalled watcher and a flood of unread calls', { timeout: TEST_TIMEOUT_MS }, async () => {
  const server = await ServerProcess.start('etcd-ts', defaultBinaries());
  const memory = new ServerMemory(server.pid);
  try {
    const range = await rangeScenario(server.endpoint, memory, { keys: KEYS, valueBytes: VALUE_BYTES, rounds: 2 });
    assert.deepEqual(rangeViolations(range, KEYS, DEFAULT_LIMITS), []);
    assert.equal(range.paged.pages, KEYS / 1000, 'pages of 1,000 follow `more` to the end');

    const watch = await slowWatchScenario(server.endpoint, memory, { events: WATCH_EVENTS, valueBytes: VALUE_BYTES });
    assert.deepEqual(watchViolations(watch, WATCH_EVENTS, DEFAULT_LIMITS), []);
    assert.equal(watch.delivered, WATCH_EVENTS, 'the reading watcher got every event');

    const flood = await floodScenario(server.endpoint, memory, {
      connections: FLOOD_CONNECTIONS, durationS: FLOOD_S, recoverS: 2, rangeLimit: 100, streamsPerConnectionMax: 25_000,
    });
    assert.deepEqual(floodViolations(flood, DEFAULT_LIMITS), [], JSON.stringify({ ...flood, samples: undefined }));
    assert.ok(flood.refused > 0, `calls past the bound are refused (opened ${flood.opened}, answered ${flood.answered})`);
    // A refused call's RESOURCE_EXHAUSTED is not counted as answered. A reply counts as held
    // once it is still unsent at a second check, so a connection takes some calls past the bound.
    const heldMax = FLOOD_CONNECTIONS * 2 * HELD_CALLS_PER_CONNECTION_MAX;
    assert.ok(flood.answered <= heldMax, `answered ${flood.answered} > ${heldMax}`);
    assert.equal(flood.sessionsLost, 0);
  } finally {
    await server.stop();
  }
});

test('a client that reads its replies is never refused, however many calls it pipelines on one connection', { timeout: TEST_TIMEOUT_MS }, async () => {
  const server = await ServerProcess.start('etcd-ts', defaultBinaries());
  const connection = new Http2Connection(server.endpoint);
  try {
    await connection.waitReady();
    const calls = PIPELINED_CALLS;
    const outcomes = await Promise.all(Array.from({ length: calls }, (_, i) => i % 2 === 0
      ? connection.call(KVService.put.path, KVService.put.requestSerialize(PutRequest.fromPartial({ key: Buffer.from(`p/${i % 500}`), value: Buffer.alloc(VALUE_BYTES, 'p') })))
      : connection.call(KVService.range.path, KVService.range.requestSerialize(RangeRequest.fromPartial({ key: Buffer.from('p/'), rangeEnd: Buffer.from('p0') })))));
    const failed = outcomes.filter((outcome) => outcome !== 'OK');
    assert.deepEqual(failed, [], `${failed.length} of ${calls} failed`);
  } finally {
    connection.close();
    await server.stop();
  }
});
