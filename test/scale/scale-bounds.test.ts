// A short slice of `npm run bench:scale` against a real etcd-ts process: a large range, a
// stalled watcher and a flood of unread unary calls, with the same bounds as the full
// check (bench/scale-bounds.ts). The flood also checks what a flooding client observes:
// once a connection holds OPEN_CALLS_PER_CONNECTION_MAX unanswered-for calls, further calls
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
import { OPEN_CALLS_PER_CONNECTION_MAX } from '../../src/api/grpc/connection-call-gate.js';

const KEYS = 20_000;
const VALUE_BYTES = 256;
const WATCH_EVENTS = 10_000;
const FLOOD_CONNECTIONS = 2;
const FLOOD_S = 5;
const TEST_TIMEOUT_MS = 120_000;

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
    // A refused call's RESOURCE_EXHAUSTED is not counted as answered; a reconnect would start a new allowance.
    assert.ok(flood.answered <= FLOOD_CONNECTIONS * OPEN_CALLS_PER_CONNECTION_MAX, `answered ${flood.answered}`);
    assert.equal(flood.sessionsLost, 0);
  } finally {
    await server.stop();
  }
});
