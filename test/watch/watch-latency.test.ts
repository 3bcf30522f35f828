// Delivery latency from a put being acknowledged to the event reaching each
// watcher, with and without a stalled stream watching the same key. Puts go one
// at a time, each after every watcher has the previous one, so this measures
// latency rather than queueing. Sizes come from WATCH_LATENCY_WATCHERS (comma
// list) and WATCH_LATENCY_PUTS.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RawWatch } from './raw-watch.js';
import { StalledStream } from './stalled-stream.js';
import { b, envInt, eventually, openTarget, percentile, type WatchTarget } from './watch-fixture.js';

const WATCHER_COUNTS = (process.env['WATCH_LATENCY_WATCHERS'] ?? '16,1000').split(',').map(Number).filter((n) => n > 0);
const PUTS = envInt('WATCH_LATENCY_PUTS', 100);
const STREAMS_MAX = 20;
const SLOW_WATCHERS = 50;
const VALUE = 'v'.repeat(100);
const FLOOD_VALUE = 'f'.repeat(16 * 1024);
const FLOOD_PUTS_MAX = 500;

let target: WatchTarget;
before(async () => {
  target = await openTarget();
});
after(async () => {
  await target.close();
});

interface Measured {
  readonly ackMs: number[];
  readonly sendMs: number[];
}

/** Takes a stream's responses as they arrive, checking each watcher's order, timing each event. */
class Collector {
  events = 0;
  private readonly lastById = new Map<bigint, number>();

  constructor(private readonly stream: RawWatch) {}

  collect(onEvent: (revision: number, arrivedMs: number) => void): void {
    for (const response of this.stream.drain()) {
      for (const event of response.events) {
        const revision = Number(event.kv?.modRevision ?? 0n);
        assert.ok(revision > (this.lastById.get(response.watchId) ?? 0), `watch ${response.watchId} went back to ${revision}`);
        this.lastById.set(response.watchId, revision);
        this.events++;
        onEvent(revision, this.stream.arrivedAt(response));
      }
    }
  }
}

/** Puts one at a time; each waits until every watcher has the previous one. */
async function measure(streams: readonly RawWatch[], watchersPerStream: readonly number[], key: string): Promise<Measured> {
  const collectors = streams.map((stream) => new Collector(stream));
  const total = watchersPerStream.reduce((x, y) => x + y, 0);
  const ackMs: number[] = [];
  const sendMs: number[] = [];
  for (let i = 0; i < PUTS; i++) {
    const sent = performance.now();
    const response = await target.kv.put({ key: b(key), value: b(VALUE) });
    const acked = performance.now();
    const revision = Number(response.header?.revision ?? 0n);
    let seen = 0;
    const onEvent = (eventRevision: number, arrived: number): void => {
      assert.equal(eventRevision, revision);
      seen++;
      ackMs.push(Math.max(0, arrived - acked));
      sendMs.push(arrived - sent);
    };
    await eventually(() => {
      for (const collector of collectors) collector.collect(onEvent);
      return seen >= total;
    }, `${total} watchers to receive revision ${revision}`, 30_000);
    // Polling adds up to one poll interval to the wait, never to the measured arrival times.
  }
  collectors.forEach((collector, i) => assert.equal(collector.events, (watchersPerStream[i] ?? 0) * PUTS));
  return { ackMs, sendMs };
}

function describeLatency(label: string, measured: Measured): string {
  const f = (n: number): string => n.toFixed(2);
  return `${label}: ack->event p50 ${f(percentile(measured.ackMs, 50))} ms p99 ${f(percentile(measured.ackMs, 99))} ms; ` +
    `send->event p50 ${f(percentile(measured.sendMs, 50))} ms p99 ${f(percentile(measured.sendMs, 99))} ms (${measured.ackMs.length} deliveries)`;
}

for (const count of WATCHER_COUNTS) {
  test(`${count} watchers of one key get every put promptly, and a stalled stream on the same key does not slow them`, async (t) => {
    const hub = target.hub;
    const key = `lat/${count}`;
    const streamCount = Math.min(count, STREAMS_MAX);
    const streams = Array.from({ length: streamCount }, () => new RawWatch(target.endpoint));
    t.after(() => streams.forEach((s) => s.close()));
    const perStream = streams.map((_, i) => Math.floor(count / streamCount) + (i < count % streamCount ? 1 : 0));
    streams.forEach((stream, i) => {
      for (let w = 0; w < (perStream[i] ?? 0); w++) stream.create({ key: b(key) });
    });
    for (const [i, stream] of streams.entries()) for (let w = 0; w < (perStream[i] ?? 0); w++) assert.equal((await stream.next()).created, true);

    const alone = await measure(streams, perStream, key);
    t.diagnostic(describeLatency(`${count} watchers`, alone));

    const slow = new StalledStream(target.endpoint);
    t.after(() => slow.close());
    for (let w = 0; w < SLOW_WATCHERS; w++) slow.create({ key: b(key) });
    // One more watcher, on a key only this stream watches, to fill it before measuring.
    slow.create({ key: b(`${key}/flood`) });
    let created = 0;
    await eventually(() => (created += slow.drain().length) >= SLOW_WATCHERS + 1, 'the stalled stream\'s watchers');
    slow.pause();
    for (let i = 0; i < FLOOD_PUTS_MAX && hub !== null && hub.stats().victims === 0; i++) {
      await target.kv.put({ key: b(`${key}/flood`), value: b(FLOOD_VALUE) });
    }
    if (hub !== null) assert.ok(hub.stats().victims > 0, 'the stalled stream should be full before measuring');
    const withSlow = await measure(streams, perStream, key);
    t.diagnostic(describeLatency(`${count} watchers + ${SLOW_WATCHERS} stalled`, withSlow));
    if (hub !== null) assert.ok(hub.stats().victims >= SLOW_WATCHERS, `stalled watchers should be victims: ${JSON.stringify(hub.stats())}`);
    // Generous: a reader that held up the others would add seconds, not milliseconds.
    assert.ok(percentile(withSlow.ackMs, 50) < 250, describeLatency('with a stalled stream', withSlow));

    for (const stream of streams) stream.close();
    slow.close();
    if (hub !== null) await eventually(() => hub.watcherCount() === 0, 'every watcher to be released');
  });
}
