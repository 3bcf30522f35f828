// The watch delivery load: watchers on watch streams count every event of the measured
// window with its put-send -> event and put-ack -> event latency; paced writers put values that
// carry their due time and publish each put's revision and ack time in a shared ring.
import { performance } from 'node:perf_hooks';
import { KVService, PutRequest, WatchRequest, WatchService } from '../src/generated/etcdserverpb/rpc.js';
import { statusName } from './grpcjs-connection.js';
import type { LoadConnection, LoadStream } from './load-connection.js';
import type { WorkerGo, WorkerSetup } from './load-protocol.js';
import { headerRevision, watchReply } from './proto-scan.js';
import { benchValue, keyOf, prefixEnd, seededRandom, WATCH_PREFIX } from './request-factory.js';
import type { WatchOperation } from './spec-table.js';
import { countError, type ClientsRun, type Tally } from './worker-tally.js';
import { epochNowMs, localMs, pacerFor, sleep, waitTurn } from './worker-pacing.js';

/** Revisions remembered for ack lookups: 65 s of history at 1,000 puts/s. */
export const ACK_RING_SLOTS = 1 << 16;
/** Watchers share a stream up to this many, as clients multiplex watches on one stream. */
export const WATCHERS_PER_STREAM_MAX = 500;
/** Watchers keep reading this long after the writers stop, for events still in flight. */
export const WATCH_DRAIN_MS = 3_000;
/** Creating every watch must finish within this long before the run starts. */
const WATCH_CREATE_TIMEOUT_MS = 60_000;
/** The due time rides in the first bytes of every written value. */
const DUE_TIME_BYTES = 8;
/** Hard cap on puts per writer, whatever the duration. */
const WRITER_PUTS_MAX = 50_000_000;

/** Writers publish (revision, ack epoch ms) per slot; a watcher finds an ack by its event's revision. */
export class AckRing {
  private readonly acks: Float64Array;
  private readonly revisions: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.acks = new Float64Array(buffer, 0, ACK_RING_SLOTS);
    this.revisions = new Int32Array(buffer, ACK_RING_SLOTS * Float64Array.BYTES_PER_ELEMENT, ACK_RING_SLOTS);
  }

  static allocate(): SharedArrayBuffer {
    return new SharedArrayBuffer(ACK_RING_SLOTS * (Float64Array.BYTES_PER_ELEMENT + Int32Array.BYTES_PER_ELEMENT));
  }

  publish(revision: number, ackEpochMs: number): void {
    const slot = revision & (ACK_RING_SLOTS - 1);
    this.acks[slot] = ackEpochMs;
    // The sequentially consistent store orders the ack time before the revision that names it.
    Atomics.store(this.revisions, slot, revision);
  }

  /** The ack time of `revision`, or undefined when its writer has not seen the ack yet. */
  ackOf(revision: number): number | undefined {
    const slot = revision & (ACK_RING_SLOTS - 1);
    return Atomics.load(this.revisions, slot) === revision ? this.acks[slot] : undefined;
  }
}

/** Distinct keys the writers put to and the watchers watch. */
export function writtenKeyCount(op: WatchOperation, keySpace: number): number {
  return op.watchedKeys === 'prefix' ? keySpace : op.watchedKeys;
}

/** How many of `watchers` watch key `key` (watcher i watches key i mod keys; all with a prefix watch). */
export function watchersOfKey(op: WatchOperation, key: number, watchers: number): number {
  if (op.watchedKeys === 'prefix') return watchers;
  const keys = op.watchedKeys;
  return Math.floor(watchers / keys) + (key < watchers % keys ? 1 : 0);
}

function createRequest(op: WatchOperation, watcherId: number): Buffer {
  const value =
    op.watchedKeys === 'prefix'
      ? { key: Buffer.from(WATCH_PREFIX), rangeEnd: prefixEnd(Buffer.from(WATCH_PREFIX)) }
      : { key: keyOf(WATCH_PREFIX, watcherId % op.watchedKeys) };
  return WatchService.watch.requestSerialize(WatchRequest.fromPartial({ requestUnion: { $case: 'createRequest', value } }));
}

interface Window {
  measureEpochMs: number;
  stopEpochMs: number;
}

function eventSeen(tally: Tally, ring: AckRing, window: Window, buf: Buffer, ev: { modRevision: number; valueStart: number; valueEnd: number }): void {
  if (ev.valueEnd - ev.valueStart < DUE_TIME_BYTES) return countError(tally, 'FOREIGN_EVENT');
  const dueEpochMs = buf.readDoubleLE(ev.valueStart);
  if (dueEpochMs < window.measureEpochMs || dueEpochMs >= window.stopEpochMs) return;
  const nowEpochMs = epochNowMs();
  const ackEpochMs = ring.ackOf(ev.modRevision);
  tally.okCount += 1;
  tally.watch.delivered += 1;
  tally.lastEndMs = performance.now();
  tally.histogram.record((nowEpochMs - dueEpochMs) * 1000);
  if (ackEpochMs === undefined) tally.watch.eventsBeforeAck += 1;
  tally.watch.ackHistogram.record(ackEpochMs === undefined ? 0 : Math.max(0, nowEpochMs - ackEpochMs) * 1000);
}

/** Opens the watch streams, creates every watch and waits for all; the run then just listens. */
export async function openWatchers(setup: WorkerSetup, connections: LoadConnection[], tally: Tally): Promise<ClientsRun> {
  if (setup.operation.kind !== 'watch' || !setup.ackRing) throw new Error('a watcher worker needs a watch operation and an ack ring');
  const op = setup.operation;
  const ring = new AckRing(setup.ackRing);
  const window: Window = { measureEpochMs: Number.POSITIVE_INFINITY, stopEpochMs: Number.NEGATIVE_INFINITY };
  const streams: LoadStream[] = [];
  let created = 0;
  let closing = false;
  let failure: string | undefined;
  const onMessage = (m: Buffer): void => {
    const reply = watchReply(m);
    if (reply.created) created += 1;
    if (reply.canceled) countError(tally, 'WATCH_CANCELED');
    for (const ev of reply.events) eventSeen(tally, ring, window, m, ev);
  };
  const onEnd = (outcome: string): void => {
    if (closing) return;
    failure ??= `watch stream ended: ${outcome}`;
    countError(tally, outcome === 'OK' ? 'STREAM_ENDED' : outcome);
  };
  connections.forEach((connection, index) => {
    const mine = setup.clients.filter((c) => c.connection === index);
    for (let first = 0; first < mine.length; first += WATCHERS_PER_STREAM_MAX) {
      const stream = connection.openStream(WatchService.watch.path, { onMessage, onEnd });
      streams.push(stream);
      for (const c of mine.slice(first, first + WATCHERS_PER_STREAM_MAX)) stream.send(createRequest(op, c.clientId));
    }
  });
  const deadline = performance.now() + WATCH_CREATE_TIMEOUT_MS;
  while (created < setup.clients.length && failure === undefined) {
    if (performance.now() > deadline) throw new Error(`only ${created}/${setup.clients.length} watches created`);
    await sleep(20);
  }
  if (failure !== undefined) throw new Error(failure);
  return async (go: WorkerGo) => {
    window.measureEpochMs = go.measureEpochMs;
    window.stopEpochMs = go.stopEpochMs;
    await sleep(Math.max(0, localMs(go.stopEpochMs) - performance.now() + WATCH_DRAIN_MS));
    closing = true;
    for (const s of streams) s.close();
  };
}

async function runWriter(setup: WorkerSetup, index: number, connections: LoadConnection[], go: WorkerGo, tally: Tally): Promise<void> {
  const client = setup.clients[index];
  const connection = client && connections[client.connection];
  if (!client || !connection || setup.operation.kind !== 'watch' || !setup.ackRing) return;
  const op = setup.operation;
  const ring = new AckRing(setup.ackRing);
  const keys = writtenKeyCount(op, setup.keySpace);
  const random = seededRandom(client.clientId + 1);
  const value = Buffer.from(benchValue(Math.max(DUE_TIME_BYTES, setup.valueBytes)));
  const pacer = pacerFor(localMs(go.startEpochMs), localMs(go.measureEpochMs), setup.clientRatePerS, client.clientId, setup.totalClients);
  const stopMs = localMs(go.stopEpochMs);
  for (let i = 0; i < WRITER_PUTS_MAX; i += 1) {
    const key = Math.floor(random() * keys);
    const sentMs = await waitTurn(pacer, i, () => (tally.lateStarts += 1));
    if (performance.now() >= stopMs) break;
    const dueEpochMs = sentMs + performance.timeOrigin;
    // Watchers judge the window by this very number, so both sides count the same puts.
    const measuring = dueEpochMs >= go.measureEpochMs && dueEpochMs < go.stopEpochMs;
    value.writeDoubleLE(dueEpochMs, 0);
    const payload = KVService.put.requestSerialize(PutRequest.fromPartial({ key: keyOf(WATCH_PREFIX, key), value }));
    try {
      const reply = await connection.callRaw(KVService.put.path, payload);
      const ackEpochMs = epochNowMs();
      ring.publish(headerRevision(reply), ackEpochMs);
      if (!measuring) continue;
      tally.watch.putsAcked += 1;
      tally.watch.expected += watchersOfKey(op, key, setup.watchers);
      tally.watch.putHistogram.record((ackEpochMs - performance.timeOrigin - sentMs) * 1000);
    } catch (err) {
      if (measuring) countError(tally, outcomeOf(err));
    }
  }
}

/** The status name of a failed put: grpc-js errors carry a code, the http2 client names it last in its message. */
function outcomeOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number') return statusName(err.code);
  return (err instanceof Error ? err.message : String(err)).split(': ').pop() ?? 'PUT_FAILED';
}

/** The writers: each paced at its share of the event rate, putting to the watched keys. */
export function watchWriters(setup: WorkerSetup, connections: LoadConnection[]): ClientsRun {
  return async (go, tally) => {
    await Promise.all(setup.clients.map((_, i) => runWriter(setup, i, connections, go, tally)));
  };
}
