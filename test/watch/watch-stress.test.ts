// Many watchers over many streams on overlapping ranges while writers run, some
// starting in the past, some created mid-run, one stream not reading at all:
// every watcher must get exactly the store's history for its range, in order.
// Sizes come from WATCH_STRESS_* variables (defaults keep the suite short).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { WatchResponse } from '../../src/generated/etcdserverpb/rpc.js';
import type { Event } from '../../src/generated/mvccpb/kv.js';
import type { WatchHub } from '../../src/watch/watch-hub.js';
import { RawWatch } from './raw-watch.js';
import { StalledStream } from './stalled-stream.js';
import { expectedFor, firstDifference, receivedEvents, storeHistory, type WatchedRange } from './history-check.js';
import { b, envInt, eventually, openTarget, putRevision, type WatchTarget } from './watch-fixture.js';

const WATCHERS = envInt('WATCH_STRESS_WATCHERS', 1000);
const STREAMS = envInt('WATCH_STRESS_STREAMS', 20);
const WRITE_MS = envInt('WATCH_STRESS_WRITE_MS', 2000);
const WRITERS = envInt('WATCH_STRESS_WRITERS', 4);
const SLOW_WATCHERS = envInt('WATCH_STRESS_SLOW_WATCHERS', 20);
const CATCH_UP_TIMEOUT_MS = envInt('WATCH_STRESS_CATCH_UP_MS', 60_000);
const KEY_COUNT = 100;
const PRELUDE_WRITES = 100;
const VALUE_PAD = 'x'.repeat(64);
/** A key only the stalled watchers see ('\x01' sorts before every fast watcher's keys). */
const FLOOD_KEY = 's/\x01flood';
const FLOOD_VALUE = 'f'.repeat(16 * 1024);
const FLOOD_PUTS_MAX = 500;

let target: WatchTarget;
const streams: RawWatch[] = [];
before(async () => {
  target = await openTarget();
});
after(async () => {
  for (const stream of streams) stream.close();
  await target.close();
});

/** mulberry32: a seeded source so a failing run can be replayed. */
function seededRandom(seed: number): (bound: number) => number {
  let state = seed >>> 0;
  return (bound) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * bound);
  };
}

const keyName = (n: number): string => `s/${String(n).padStart(2, '0')}`;

interface Planned {
  readonly stream: number;
  readonly key: Buffer;
  readonly rangeEnd: Buffer;
  readonly startRevision: number;
  readonly prevKv: boolean;
  watchId: bigint;
  fromRevision: number;
  responses: WatchResponse[];
}

function plan(index: number, random: (bound: number) => number, historical: number): Planned {
  const a = random(KEY_COUNT);
  let key: Buffer = b(keyName(a));
  let rangeEnd: Buffer = Buffer.alloc(0);
  switch (index % 4) {
    case 1: {
      const digit = a % 10;
      key = b(`s/${digit}`);
      rangeEnd = b(`s/${String.fromCharCode(48 + digit + 1)}`);
      break;
    }
    case 2: {
      const end = a + 1 + random(30);
      rangeEnd = end >= KEY_COUNT ? b('s/~') : b(keyName(end));
      break;
    }
    case 3:
      rangeEnd = Buffer.from([0]);
      break;
  }
  const startRevision = index % 3 === 0 ? historical : 0;
  return { stream: index % STREAMS, key, rangeEnd, startRevision, prevKv: index % 5 === 0, watchId: -1n, fromRevision: startRevision, responses: [] };
}

async function writer(seed: number, deadline: number): Promise<number> {
  const random = seededRandom(seed);
  let writes = 0;
  // Bounded by the deadline; each iteration is one awaited request.
  while (Date.now() < deadline) {
    const roll = random(100);
    const key = keyName(random(KEY_COUNT));
    if (roll < 70) await target.kv.put({ key: b(key), value: b(`${seed}-${writes}-${VALUE_PAD}`) });
    else if (roll < 85) await target.kv.deleteRange({ key: b(key) });
    else if (roll < 95) {
      const first = random(KEY_COUNT - 3);
      const puts = [0, 1, 2].map((d) => ({ request: { $case: 'requestPut' as const, value: { key: b(keyName(first + d)), value: b(`${seed}-${writes}-t${d}`) } } }));
      await target.kv.txn({ success: puts });
    } else {
      const digit = random(10);
      await target.kv.deleteRange({ key: b(`s/${digit}`), rangeEnd: b(`s/${String.fromCharCode(48 + digit + 1)}`) });
    }
    writes++;
  }
  return writes;
}

function createOn(watch: RawWatch | StalledStream, planned: Planned): void {
  watch.create({ key: planned.key, rangeEnd: planned.rangeEnd, startRevision: BigInt(planned.startRevision), prevKv: planned.prevKv });
}

/** Moves each stream's responses to the watcher they belong to; created responses assign ids in creation order. */
function sortResponses(streamPlans: Planned[][]): void {
  streams.forEach((stream, index) => {
    const plans = streamPlans[index] ?? [];
    const byId = new Map(plans.filter((p) => p.watchId >= 0n).map((p) => [p.watchId, p]));
    for (const response of stream.drain()) {
      if (response.created) {
        const next = plans.find((p) => p.watchId < 0n);
        assert.ok(next !== undefined && !response.canceled, `unexpected created response ${response.watchId}`);
        next.watchId = response.watchId;
        if (next.startRevision === 0) next.fromRevision = Number(response.header?.revision ?? 0n) + 1;
        byId.set(response.watchId, next);
      } else {
        const owner = byId.get(response.watchId);
        assert.ok(owner !== undefined, `response for unknown watch ${response.watchId}`);
        owner.responses.push(response);
      }
    }
  });
}

function eventCount(planned: Planned): number {
  return planned.responses.reduce((sum, r) => sum + r.events.length, 0);
}

/** A bare HTTP/2 stream with wide watchers that stops reading once they are created. */
async function openStalled(): Promise<{ slow: StalledStream; slowPlans: Planned[] }> {
  const slow = new StalledStream(target.endpoint);
  const slowPlans: Planned[] = Array.from({ length: SLOW_WATCHERS }, () => ({
    stream: -1, key: b('s/'), rangeEnd: Buffer.from([0]), startRevision: 0, prevKv: false, watchId: -1n, fromRevision: 0, responses: [],
  }));
  for (const planned of slowPlans) slow.create({ key: planned.key, rangeEnd: planned.rangeEnd });
  const created: WatchResponse[] = [];
  await eventually(() => created.push(...slow.drain()) >= SLOW_WATCHERS, 'the stalled stream\'s watchers');
  slowPlans.forEach((planned, i) => {
    planned.watchId = created[i]?.watchId ?? -1n;
    planned.fromRevision = Number(created[i]?.header?.revision ?? 0n) + 1;
  });
  slow.pause();
  return { slow, slowPlans };
}

/**
 * Socket and HTTP/2 buffers can absorb a light run whole; large writes that only
 * the stalled watchers see make sure their stream is really full.
 */
async function floodStalled(hub: WatchHub): Promise<void> {
  for (let i = 0; i < FLOOD_PUTS_MAX && hub.stats().victims < SLOW_WATCHERS; i++) {
    await target.kv.put({ key: b(FLOOD_KEY), value: b(FLOOD_VALUE) });
  }
}

function createAll(plans: readonly Planned[], streamPlans: Planned[][]): void {
  for (const planned of plans) {
    streamPlans[planned.stream]?.push(planned);
    createOn(streams[planned.stream] as RawWatch, planned);
  }
}

/** Waits for every fast watcher to reach the end of history, then compares; returns how many events were delivered. */
async function verifyFast(plans: readonly Planned[], streamPlans: Planned[][], history: readonly Event[]): Promise<number> {
  await eventually(() => {
    sortResponses(streamPlans);
    return plans.every((p) => p.watchId >= 0n);
  }, 'every created response', CATCH_UP_TIMEOUT_MS);
  const expected = plans.map((planned) => ({ planned, events: expectedFor(history, planned) }));
  await eventually(() => {
    sortResponses(streamPlans);
    return expected.every((e) => eventCount(e.planned) >= e.events.length);
  }, 'every fast watcher to reach the final revision', CATCH_UP_TIMEOUT_MS);
  let delivered = 0;
  for (const { planned, events } of expected) {
    const got = receivedEvents(planned.responses, planned.prevKv);
    delivered += got.length;
    const difference = firstDifference(got, events);
    assert.equal(difference, null, `watch ${planned.watchId} on stream ${planned.stream}: ${difference}`);
  }
  return delivered;
}

async function verifyStalled(slow: StalledStream, slowPlans: readonly Planned[], history: readonly Event[]): Promise<void> {
  slow.resume();
  const expected = expectedFor(history, slowPlans[0] as WatchedRange);
  const byId = new Map(slowPlans.map((p) => [p.watchId, p]));
  await eventually(() => {
    for (const response of slow.drain()) byId.get(response.watchId)?.responses.push(response);
    return slowPlans.every((p) => eventCount(p) >= expected.length);
  }, 'the stalled stream to catch up once it reads again', CATCH_UP_TIMEOUT_MS);
  for (const planned of slowPlans) {
    const difference = firstDifference(receivedEvents(planned.responses, false), expectedFor(history, planned));
    assert.equal(difference, null, `slow watch ${planned.watchId}: ${difference}`);
  }
}

test(`${WATCHERS} watchers over ${STREAMS} streams see exact history while ${WRITERS} writers run; a stalled stream does not hold them up`, async (t) => {
  const hub = target.hub;
  const store = target.store;
  assert.ok(hub !== null && store !== null, 'the stress test needs the in-process server');
  const historical = await putRevision(target.kv, 's/00', 'prelude');
  for (let i = 1; i < PRELUDE_WRITES; i++) await putRevision(target.kv, keyName(i % KEY_COUNT), `prelude-${i}`);
  for (let i = 0; i < STREAMS; i++) streams.push(new RawWatch(target.endpoint));
  const { slow, slowPlans } = await openStalled();
  t.after(() => slow.close());

  const random = seededRandom(42);
  const plans = Array.from({ length: WATCHERS }, (_, i) => plan(i, random, historical));
  const streamPlans: Planned[][] = streams.map(() => []);
  const half = Math.floor(WATCHERS / 2);
  createAll(plans.slice(0, half), streamPlans);
  const started = Date.now();
  const writers = Array.from({ length: WRITERS }, (_, i) => writer(1000 + i, started + WRITE_MS));
  // The second half is created while writes are running.
  await new Promise((resolve) => setTimeout(resolve, Math.min(300, WRITE_MS / 3)));
  createAll(plans.slice(half), streamPlans);
  const writes = (await Promise.all(writers)).reduce((x, y) => x + y, 0);
  await floodStalled(hub);
  const finalRevision = store.currentRevision;
  const writeSeconds = (Date.now() - started) / 1000;

  const history = storeHistory(store, 1, finalRevision);
  const caughtUpStart = Date.now();
  const delivered = await verifyFast(plans, streamPlans, history);
  const catchUpMs = Date.now() - caughtUpStart;
  const statsWhileStalled = hub.stats();
  // Everyone else is done; the stalled stream's watchers wait as victims, holding one batch each.
  assert.equal(statsWhileStalled.victims, SLOW_WATCHERS);
  await verifyStalled(slow, slowPlans, history);

  t.diagnostic(`${writes} writes (${Math.round(writes / writeSeconds)}/s) to revision ${finalRevision}; ${delivered} events delivered to ${WATCHERS} watchers; ` +
    `caught up ${catchUpMs} ms after writes stopped; victimized ${statsWhileStalled.victimized} times while stalled`);
  for (const stream of streams) stream.close();
  slow.close();
  await eventually(() => hub.watcherCount() === 0, 'every watcher to be released');
  streams.length = 0;
});
