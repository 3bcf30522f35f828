// The pure parts of the watch and lease keep-alive loads: protobuf field scanning, gRPC message
// framing, who watches what, how workers are planned, and how watch counters add up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LeaseKeepAliveResponse,
  LeaseService,
  PutResponse,
  KVService,
  WatchResponse,
  WatchService,
} from '../../src/generated/etcdserverpb/rpc.js';
import { Event_EventType } from '../../src/generated/mvccpb/kv.js';
import { FrameSplitter, framed } from '../../bench/grpc-frames.js';
import { Histogram } from '../../bench/histogram.js';
import { mergeWatch, planWorkers, type RunOptions } from '../../bench/load-runner.js';
import type { WorkerResult } from '../../bench/load-protocol.js';
import { headerRevision, leaseReply, ProtoScanError, watchReply } from '../../bench/proto-scan.js';
import { findSpec, type WatchOperation } from '../../bench/spec-table.js';
import { AckRing, ACK_RING_SLOTS, watchersOfKey, writtenKeyCount } from '../../bench/watch-load.js';
import { parseCommand } from '../../bench/cli-args.js';
import { dueTime, pacerFor } from '../../bench/worker-pacing.js';

test('revision, lease id and TTL are read from encoded replies, including 64-bit ids and -1', () => {
  const put = KVService.put.responseSerialize(PutResponse.fromPartial({ header: { clusterId: 7n, revision: 123_456n, raftTerm: 3n } }));
  assert.equal(headerRevision(put), 123_456);
  const id = 0x7fff_ffff_ffff_fff1n;
  const alive = LeaseService.leaseKeepAlive.responseSerialize(LeaseKeepAliveResponse.fromPartial({ ID: id, TTL: 3600n }));
  assert.deepEqual(leaseReply(alive), { id, ttl: 3600 });
  const gone = LeaseService.leaseKeepAlive.responseSerialize(LeaseKeepAliveResponse.fromPartial({ ID: 5n, TTL: -1n }));
  assert.deepEqual(leaseReply(gone), { id: 5n, ttl: -1 });
  assert.throws(() => headerRevision(Buffer.from([0x0a, 0x05, 0x18])), ProtoScanError);
});

test('a watch reply yields created/canceled flags and every event with its revision and value', () => {
  const value = Buffer.alloc(16);
  value.writeDoubleLE(1234.5, 0);
  const events = [10n, 11n].map((modRevision) => ({ type: Event_EventType.PUT, kv: { key: Buffer.from('k'), modRevision, value } }));
  const bytes = WatchService.watch.responseSerialize(WatchResponse.fromPartial({ watchId: 42n, events }));
  const view = watchReply(bytes);
  assert.equal(view.watchId, 42);
  assert.equal(view.created, false);
  assert.deepEqual(view.events.map((e) => e.modRevision), [10, 11]);
  for (const e of view.events) assert.equal(bytes.readDoubleLE(e.valueStart), 1234.5);
  const created = watchReply(WatchService.watch.responseSerialize(WatchResponse.fromPartial({ watchId: 0n, created: true })));
  assert.equal(created.created, true);
  assert.deepEqual(created.events, []);
});

test('framed messages come back whole whatever the chunk cuts', () => {
  const messages = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(1000, 7), Buffer.from('last')];
  const wire = Buffer.concat(messages.map(framed));
  for (const cut of [1, 2, 5, 7, 333, wire.length]) {
    const splitter = new FrameSplitter(4096);
    const seen: Buffer[] = [];
    for (let at = 0; at < wire.length; at += cut) splitter.push(wire.subarray(at, at + cut), (m) => seen.push(Buffer.from(m)));
    assert.deepEqual(seen, messages, `cut ${cut}`);
    assert.equal(splitter.pendingBytes, 0);
  }
  assert.throws(() => new FrameSplitter(10).push(framed(Buffer.alloc(11)), () => undefined), /over the 10-byte limit/);
});

test('every put is delivered to the watchers of its key: all of them for a prefix watch', () => {
  const perKey: WatchOperation = { kind: 'watch', watchedKeys: 1000, eventsPerS: 1000, writers: 16 };
  assert.equal(writtenKeyCount(perKey, 10_000), 1000);
  let sum = 0;
  for (let k = 0; k < 1000; k += 1) sum += watchersOfKey(perKey, k, 10_005);
  assert.equal(sum, 10_005);
  assert.equal(watchersOfKey(perKey, 4, 10_005), 11);
  assert.equal(watchersOfKey(perKey, 5, 10_005), 10);
  const prefix: WatchOperation = { ...perKey, watchedKeys: 'prefix' };
  assert.equal(writtenKeyCount(prefix, 10_000), 10_000);
  assert.equal(watchersOfKey(prefix, 9_999, 16), 16);
});

test('the ack ring answers for the latest revision of a slot only', () => {
  const ring = new AckRing(AckRing.allocate());
  assert.equal(ring.ackOf(5), undefined);
  ring.publish(5, 1000.25);
  assert.equal(ring.ackOf(5), 1000.25);
  ring.publish(5 + ACK_RING_SLOTS, 2000);
  assert.equal(ring.ackOf(5), undefined);
  assert.equal(ring.ackOf(5 + ACK_RING_SLOTS), 2000);
});

function runOptions(specName: string, overrides: Partial<RunOptions> = {}): RunOptions {
  const spec = findSpec(specName);
  assert.ok(spec);
  return { endpoints: ['e:1'], spec, durationS: 1, total: undefined, warmupS: 0, ratePerS: undefined, connsPerWorker: 2, transport: 'http2', serverPid: undefined, ...overrides };
}

test('watch-10000 plans its watchers over 8 connections and 16 writers paced at 1,000 puts/s on their own', () => {
  const setups = planWorkers(runOptions('watch-10000'));
  const watchers = setups.filter((s) => s.role === 'watcher');
  const writers = setups.filter((s) => s.role === 'watch-writer');
  assert.equal(watchers.length, 4);
  assert.equal(watchers.reduce((n, s) => n + s.clients.length, 0), 10_000);
  assert.ok(watchers.every((s) => s.clientRatePerS === undefined && s.watchers === 10_000));
  assert.equal(writers.reduce((n, s) => n + s.clients.length, 0), 16);
  assert.ok(writers.every((s) => s.clientRatePerS === 1000 / 16));
  assert.deepEqual(writers.map((s) => s.firstConnectionIndex), [8]);
  // Writers and watchers meet in one shared ring.
  const ring = setups[0]?.ackRing;
  assert.ok(ring && setups.every((s) => s.ackRing === ring));
  assert.deepEqual(setups.map((s) => s.workerId), setups.map((_, i) => i));
  const faster = planWorkers(runOptions('watch-16', { ratePerS: 3200 })).filter((s) => s.role === 'watch-writer');
  assert.equal(faster[0]?.clientRatePerS, 200);
});

test('lease-keepalive-10000 hands the granted ids to keep-alive workers', () => {
  const leaseIds = [1n, 2n, 3n];
  const setups = planWorkers(runOptions('lease-keepalive-10000'), { leaseIds });
  assert.equal(setups.length, 2);
  assert.ok(setups.every((s) => s.role === 'lease-keep-alive' && s.leaseIds === leaseIds && s.ackRing === undefined));
  assert.equal(setups.reduce((n, s) => n + s.clients.length, 0), 64);
});

function watchResult(delivered: number, expected: number, putsAcked: number, ackUs: number[]): WorkerResult {
  const ack = new Histogram();
  for (const us of ackUs) ack.record(us);
  return {
    workerId: 0,
    histogram: new Histogram().toData(),
    okCount: delivered,
    errors: {},
    measuredStartEpochMs: 0,
    lastEndEpochMs: 0,
    eventLoopUtilization: 0,
    lateStarts: 0,
    clientsGaveUp: 0,
    watch: { delivered, ackHistogram: ack.toData(), eventsBeforeAck: 1, putsAcked, expected, putHistogram: new Histogram().toData() },
  };
}

test('watch counters of watchers and writers add up to delivered / expected', () => {
  const merged = mergeWatch([watchResult(30, 0, 0, [100, 200]), watchResult(9, 0, 0, [50_000]), watchResult(0, 40, 4, [])]);
  assert.ok(merged);
  assert.equal(merged.deliveredEvents, 39);
  assert.equal(merged.expectedEvents, 40);
  assert.equal(merged.putsAcked, 4);
  assert.equal(merged.deliveredFraction, 39 / 40);
  assert.equal(merged.eventsBeforeAck, 3);
  assert.ok(merged.ackToEvent.maxMs >= 49 && merged.ackToEvent.maxMs <= 51, String(merged.ackToEvent.maxMs));
  assert.equal(mergeWatch([{ ...watchResult(0, 0, 0, []), watch: undefined }]), undefined);
});

test('the streaming specs are named on the command line as issue #10 lists them', () => {
  const c = parseCommand(['compare', '--specs', 'watch-16,watch-10000,lease-keepalive-10000', '--rounds', '3']);
  assert.equal(c.kind, 'compare');
  if (c.kind === 'compare') assert.deepEqual(c.specs.map((s) => [s.name, s.clients]), [['watch-16', 16], ['watch-10000', 10_000], ['lease-keepalive-10000', 64]]);
});

test('a paced client late at the start of measuring drops the warm-up backlog once, keeping its phase', () => {
  // 100/s: one request every 10 ms, measuring from 1,000 ms; the client is stuck until 1,235 ms.
  const pacer = pacerFor(0, 1000, 100, 1, 2);
  assert.equal(dueTime(pacer, 3, 40), 35);
  assert.equal(dueTime(pacer, 4, 1235), 1005);
  assert.equal(dueTime(pacer, 5, 1236), 1015, 'later requests follow the new schedule');
  // Once measuring, lateness is never forgiven again.
  assert.equal(dueTime(pacer, 6, 5000), 1025);
  const onTime = pacerFor(0, 1000, 100, 0, 1);
  assert.equal(dueTime(onTime, 100, 1000), 1000);
  assert.equal(onTime.offsetMs, 0);
});
