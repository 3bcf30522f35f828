// How fast small raft messages cross loopback: messages per second with a bounded
// number in flight, and the round trip of a heartbeat and its response. The bounds
// are loose (shared CI machines); the measured numbers are printed as diagnostics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeMessage, MessageType, type Message } from '../../src/raft/message.js';
import { append, closeAll, connectAndWait, nextTurn, numbered, startMember, type Member } from './transport-fixture.js';

const THROUGHPUT_MESSAGES = 200_000;
/** Sent but not yet received: stays below the per-peer queue bound so nothing is dropped. */
const IN_FLIGHT_MAX = 2000;
const SEND_BATCH = 100;
const ROUND_TRIPS = 2000;

async function pump(a: Member, b: Member, count: number, make: (seq: number) => Message): Promise<number> {
  const startMs = performance.now();
  let seq = 0;
  // Bounded: each turn either sends a batch or waits for the receiver to catch up.
  while (b.received.length < count) {
    if (seq < count && seq - b.received.length < IN_FLIGHT_MAX) {
      const batch = [];
      for (let i = 0; i < SEND_BATCH && seq < count; i++) batch.push(make(seq++));
      a.transport.send(batch);
    }
    await nextTurn();
    if (performance.now() - startMs > 60_000) throw new Error(`only ${b.received.length} of ${count} arrived in 60 s`);
  }
  return performance.now() - startMs;
}

test('small messages stream at tens of thousands per second without loss', async (t) => {
  const members = [await startMember(1n), await startMember(2n)];
  const [a, b] = members as [Member, Member];
  try {
    await connectAndWait(members);
    const elapsedMs = await pump(a, b, THROUGHPUT_MESSAGES, (seq) => numbered(a.id, b.id, seq));
    const perSecond = Math.round(THROUGHPUT_MESSAGES / (elapsedMs / 1000));
    t.diagnostic(`heartbeat-sized messages: ${perSecond} messages/s (${THROUGHPUT_MESSAGES} in ${elapsedMs.toFixed(0)} ms)`);
    assert.equal(a.transport.stats().dropped, 0);
    assert.ok(b.received.every((m, i) => m.index === i));
    assert.ok(perSecond > 10_000, `${perSecond} messages/s`);

    b.received.length = 0;
    const appends = 20_000;
    const appendMs = await pump(a, b, appends, (seq) => append(a.id, b.id, seq, 1024));
    const mibPerSecond = (appends * 1024) / (1024 * 1024) / (appendMs / 1000);
    t.diagnostic(`appends with a 1 KiB entry: ${Math.round(appends / (appendMs / 1000))} messages/s, ${mibPerSecond.toFixed(1)} MiB/s of entry data`);
  } finally {
    await closeAll(members);
  }
});

test('a heartbeat and its response make a round trip in about a millisecond', async (t) => {
  let answer: (m: Message) => void = () => undefined;
  let echo: (m: Message) => void = () => undefined;
  const a = await startMember(1n, { onMessage: (m) => answer(m) });
  const b = await startMember(2n, { onMessage: (m) => echo(m) });
  try {
    a.transport.setPeer(b.id, b.transport.boundUrls);
    b.transport.setPeer(a.id, a.transport.boundUrls);
    echo = (m) => b.transport.send([makeMessage({ type: MessageType.MsgHeartbeatResp, from: b.id, to: a.id, term: m.term, context: m.context })]);
    const roundTrip = (seq: number): Promise<number> => new Promise((resolve) => {
      const startMs = performance.now();
      answer = () => resolve(performance.now() - startMs);
      a.transport.send([numbered(a.id, b.id, seq)]);
    });
    // Connections are opened by the first messages; time only the steady state.
    for (let i = 0; i < 50; i++) await roundTrip(i);
    const samples: number[] = [];
    for (let i = 0; i < ROUND_TRIPS; i++) samples.push(await roundTrip(i));
    samples.sort((x, y) => x - y);
    const at = (q: number): number => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? NaN;
    t.diagnostic(`heartbeat round trip over loopback: p50 ${at(0.5).toFixed(3)} ms, p99 ${at(0.99).toFixed(3)} ms, max ${at(1).toFixed(3)} ms`);
    assert.equal(b.transport.stats().received, 50 + ROUND_TRIPS, 'every heartbeat crossed the wire');
    assert.equal(a.transport.stats().received, 50 + ROUND_TRIPS, 'and every response came back');
    assert.ok(at(0.5) < 10, `median round trip ${at(0.5)} ms`);
  } finally {
    await closeAll([a, b]);
  }
});
