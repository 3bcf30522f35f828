// Flow control on the client port with a raw client that reads slowly or not at all:
// a ~20 MiB Snapshot drip-fed 256 KiB of window every 50 ms arrives whole and
// correct (its sha256 trailer, and etcdctl snapshot save's file byte for byte) while
// other calls, on other connections and on the same one, answer at
// once and the server's memory stays bounded; a Watch whose client stops granting
// window while 5,000 puts are made holds only itself up, and gets every event, in
// order, once it reads again (etcd's slow watchers are held back, never cancelled);
// and a snapshot bound by the connection window still leaves a Range its share.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MaintenanceService, SnapshotRequest, SnapshotResponse, WatchRequest, WatchResponse, WatchService, KVService, RangeRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { etcdctlOk } from '../support/etcdctl.js';
import { RawKv } from '../support/raw-kv.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { encodePlainBlock, grpcFrame, grpcRequestFields, grpcResult, RawH2Connection, unaryCall, WINDOW_BYTES_DEFAULT, WINDOW_BYTES_MAX } from '../http2/raw-h2-client.js';
import { enc, pollUntil, portOf, rssBytes, sleep, timed } from './support/h2server-fixture.js';

const TEST_TIMEOUT_MS = 60_000;
const CALL_TIMEOUT_MS = 5_000;
const KEYS = 420;
const VALUE_BYTES = 50_000;
const PUTS_IN_FLIGHT = 25;
const GRANT_BYTES = 256 * 1024;
const GRANT_EVERY_MS = 50;
const STALL_MS = 1_500;
/** What "promptly" means for a call made while another stream is stalled. */
const PROMPT_MS_MAX = 1_000;
const SHA256_BYTES = 32;
const WATCH_PUTS = 5_000;
const WATCH_VALUE = Buffer.alloc(100, 0x61);
const PROBE_EVERY_MS = 100;

let server: ServerProcess;
let kv: RawKv;

before(async () => {
  server = await startServer({ name: 'h2slow' });
  kv = new RawKv(server.endpoint);
  const value = Buffer.alloc(VALUE_BYTES, 0x76);
  for (let first = 0; first < KEYS; first += PUTS_IN_FLIGHT) {
    const puts = [];
    for (let i = first; i < first + PUTS_IN_FLIGHT; i++) puts.push(kv.put({ key: enc(`big/${String(i).padStart(4, '0')}`), value }));
    await Promise.all(puts);
  }
});
after(async () => {
  kv?.close();
  await server?.stop();
});

/** The whole gRPC messages at the start of a body (a trailing partial one is left). */
function wholeMessages(body: Buffer): Buffer[] {
  const messages: Buffer[] = [];
  let at = 0;
  // Each pass takes one whole message.
  while (body.length - at >= 5 && body.length - at >= 5 + body.readUInt32BE(at + 1)) {
    const end = at + 5 + body.readUInt32BE(at + 1);
    messages.push(body.subarray(at + 5, end));
    at = end;
  }
  return messages;
}

/** etcdctl's own snapshot of the same, unchanged server is the same file, byte for byte. */
async function assertSameAsEtcdctl(received: Buffer): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'h2-slow-snapshot-'));
  try {
    const saved = join(work, 'etcdctl.db');
    await etcdctlOk(server.endpoint, ['snapshot', 'save', saved], { timeoutMs: CALL_TIMEOUT_MS * 4 });
    assert.ok((await readFile(saved)).equals(received), 'the drip-fed snapshot equals etcdctl snapshot save');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** A connection whose own window never limits: only the stream windows we grant hold the server back. */
function openSlowConnection(): Promise<RawH2Connection> {
  return RawH2Connection.open(portOf(server), { autoWindowUpdate: false, connectionWindowIncrement: WINDOW_BYTES_MAX - WINDOW_BYTES_DEFAULT });
}

const rangeOnce = (connection: RawH2Connection): Promise<number | null> =>
  unaryCall(connection, KVService.range.path, RangeRequest.encode(RangeRequest.fromPartial({ key: enc('big/0001') })).finish(), CALL_TIMEOUT_MS).then((result) => result.status);

test('a drip-fed 20 MiB Snapshot arrives whole; other calls on other connections and the same one answer promptly; memory stays bounded', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const connection = await openSlowConnection();
  let granting = true;
  let timer: NodeJS.Timeout | null = null;
  try {
    const baselineRss = rssBytes(server.pid);
    const baselineAnon = rssBytes(server.pid, 'RssAnon');
    const id = connection.nextStreamId();
    connection.sendHeaders(id, encodePlainBlock(grpcRequestFields(MaintenanceService.snapshot.path, server.endpoint)));
    connection.sendData(id, grpcFrame(SnapshotRequest.encode(SnapshotRequest.fromPartial({})).finish()), { endStream: true });
    const record = connection.stream(id);
    timer = setInterval(() => {
      if (granting && !record.endStream && record.rstCode === null) connection.sendWindowUpdate(id, GRANT_BYTES);
    }, GRANT_EVERY_MS);
    await connection.waitUntil('a quarter of the snapshot', () => record.dataBytes >= (KEYS * VALUE_BYTES) / 4, TEST_TIMEOUT_MS / 2);
    // The first message tells the db's size: its blob plus the bytes still to come.
    const first = SnapshotResponse.decode(wholeMessages(Buffer.concat(record.data))[0] ?? Buffer.alloc(0));
    const dbBytes = first.blob.length + Number(first.remainingBytes);
    assert.ok(dbBytes >= KEYS * VALUE_BYTES, `db of ${dbBytes} bytes`);

    granting = false;
    await sleep(STALL_MS / 3);
    const stalledAt = record.dataBytes;
    const elsewhere = await timed(kv.range({ key: enc('big/0002') }));
    const sameConnection = await timed(rangeOnce(connection));
    await sleep(STALL_MS);
    const stalledRss = rssBytes(server.pid);
    const stalledAnon = rssBytes(server.pid, 'RssAnon');
    assert.equal(record.dataBytes, stalledAt, 'no DATA beyond the window granted');
    assert.equal(record.endStream, false);
    assert.equal(elsewhere.value.kvs.length, 1);
    assert.ok(elsewhere.ms < PROMPT_MS_MAX, `a Range on another connection took ${elsewhere.ms.toFixed(0)} ms`);
    assert.equal(sameConnection.value, 0);
    assert.ok(sameConnection.ms < PROMPT_MS_MAX, `a Range on the stalled connection took ${sameConnection.ms.toFixed(0)} ms`);
    t.diagnostic(`db ${dbBytes} B; stalled at ${stalledAt} B; Range elsewhere ${elsewhere.ms.toFixed(1)} ms, same connection ${sameConnection.ms.toFixed(1)} ms; RSS +${stalledRss - baselineRss} B over ${baselineRss} B (anonymous +${stalledAnon - baselineAnon} B)`);
    assert.ok(stalledRss - baselineRss < 2 * dbBytes, `RSS grew ${stalledRss - baselineRss} bytes (db ${dbBytes})`);
    // Most of that is lmdb's mapping of the file; the server itself holds far less than the file.
    assert.ok(stalledAnon - baselineAnon < (3 * dbBytes) / 4, `anonymous RSS grew ${stalledAnon - baselineAnon} bytes (db ${dbBytes})`);

    granting = true;
    const result = grpcResult(await connection.waitStreamEnd(id, TEST_TIMEOUT_MS / 2));
    assert.equal(result.status, 0, result.message);
    const responses = result.messages.map((message) => SnapshotResponse.decode(message));
    const blobs = responses.map((response) => response.blob);
    const db = Buffer.concat(blobs.slice(0, -1));
    // remaining_bytes counts the db bytes still to come after each message (as etcd: the digest is not counted).
    assert.equal(db.length, dbBytes);
    assert.equal(responses.at(-1)?.remainingBytes, 0n);
    assert.equal(blobs.at(-1)?.length, SHA256_BYTES);
    assert.deepEqual(blobs.at(-1), createHash('sha256').update(db).digest(), 'the sha256 trailer matches the bytes received');
    await assertSameAsEtcdctl(Buffer.concat(blobs));
    // Afterwards lmdb's mapping of the file it read stays resident: only anonymous memory is bounded here.
    const afterAnon = rssBytes(server.pid, 'RssAnon');
    t.diagnostic(`after the snapshot: RSS +${rssBytes(server.pid) - baselineRss} B, anonymous +${afterAnon - baselineAnon} B`);
    assert.ok(afterAnon - baselineAnon < 2 * dbBytes, `anonymous RSS grew ${afterAnon - baselineAnon} B by the end of the snapshot`);
  } finally {
    if (timer !== null) clearInterval(timer);
    await connection.close();
  }
});

/** Ranges on their own connection every PROBE_EVERY_MS until stopped; returns the slowest, ms. */
function probeLatency(): { stop: () => Promise<number> } {
  const probe = new RawKv(server.endpoint);
  let running = true;
  let slowestMs = 0;
  const loop = (async (): Promise<void> => {
    // Bounded by stop(), which the test always calls.
    while (running) {
      const { ms } = await timed(probe.range({ key: enc('big/0003') }));
      slowestMs = Math.max(slowestMs, ms);
      await sleep(PROBE_EVERY_MS);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      probe.close();
      return slowestMs;
    },
  };
}

test('a Watch whose client stops granting window holds up only itself, and gets all 5,000 events in order once it reads again', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const connection = await openSlowConnection();
  try {
    const id = connection.nextStreamId();
    connection.sendHeaders(id, encodePlainBlock(grpcRequestFields(WatchService.watch.path, server.endpoint)));
    const create = WatchRequest.fromPartial({ requestUnion: { $case: 'createRequest', value: { key: enc('slow/'), rangeEnd: enc('slow0') } } });
    connection.sendData(id, grpcFrame(WatchRequest.encode(create).finish()));
    const record = connection.stream(id);
    await connection.waitUntil('the created response', () => wholeMessages(Buffer.concat(record.data)).length >= 1, CALL_TIMEOUT_MS);

    const probe = probeLatency();
    let firstRevision = 0n;
    for (let first = 0; first < WATCH_PUTS; first += PUTS_IN_FLIGHT) {
      const puts = [];
      for (let i = first; i < Math.min(WATCH_PUTS, first + PUTS_IN_FLIGHT); i++) puts.push(kv.put({ key: enc(`slow/${String(i).padStart(5, '0')}`), value: WATCH_VALUE }));
      const answers = await Promise.all(puts);
      if (first === 0) firstRevision = answers.reduce((low, answer) => (answer.header !== undefined && (low === 0n || answer.header.revision < low) ? answer.header.revision : low), 0n);
    }
    const slowestMs = await probe.stop();
    t.diagnostic(`${WATCH_PUTS} puts; slowest Range elsewhere ${slowestMs.toFixed(1)} ms; the stalled watch had ${record.dataBytes} B`);
    assert.ok(slowestMs < PROMPT_MS_MAX, `another client's slowest Range took ${slowestMs.toFixed(0)} ms while the watch stalled`);
    assert.ok(record.dataBytes <= WINDOW_BYTES_DEFAULT, `the stalled watch got ${record.dataBytes} bytes, more than its window`);
    assert.equal(record.endStream || record.rstCode !== null, false, 'the stalled watch is still open');
    assert.equal((await kv.range({ key: enc('slow/00000') })).kvs.length, 1);

    connection.sendWindowUpdate(id, WINDOW_BYTES_MAX - WINDOW_BYTES_DEFAULT);
    const events: Array<{ key: string; revision: bigint }> = [];
    let canceled = false;
    await pollUntil(`${WATCH_PUTS} events`, () => {
      events.length = 0;
      for (const message of wholeMessages(Buffer.concat(record.data))) {
        const response = WatchResponse.decode(message);
        canceled ||= response.canceled;
        for (const event of response.events) events.push({ key: event.kv?.key.toString() ?? '', revision: event.kv?.modRevision ?? 0n });
      }
      return events.length >= WATCH_PUTS || canceled || record.endStream;
    }, TEST_TIMEOUT_MS / 3, 200);
    assert.equal(canceled, false, 'the watch was not cancelled');
    assert.equal(events.length, WATCH_PUTS);
    events.forEach((event, i) => assert.equal(event.revision, firstRevision + BigInt(i), `event ${i} (${event.key}) out of order`));
    assert.deepEqual(new Set(events.map((event) => event.key)).size, WATCH_PUTS);
  } finally {
    await connection.close();
  }
});

test('with the connection window drip-fed instead, a Range on the same connection still gets its share promptly', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  // Stream windows wide open: only the connection window, granted slowly, holds the server back.
  const connection = await RawH2Connection.open(portOf(server), { autoWindowUpdate: false, initialWindowSize: WINDOW_BYTES_MAX });
  let timer: NodeJS.Timeout | null = null;
  try {
    const id = connection.nextStreamId();
    connection.sendHeaders(id, encodePlainBlock(grpcRequestFields(MaintenanceService.snapshot.path, server.endpoint)));
    connection.sendData(id, grpcFrame(SnapshotRequest.encode(SnapshotRequest.fromPartial({})).finish()), { endStream: true });
    const record = connection.stream(id);
    timer = setInterval(() => {
      if (!record.endStream && record.rstCode === null) connection.sendWindowUpdate(0, GRANT_BYTES);
    }, GRANT_EVERY_MS);
    await connection.waitUntil('a megabyte of the snapshot', () => record.dataBytes >= 1024 * 1024, TEST_TIMEOUT_MS / 2);
    const sameConnection = await timed(rangeOnce(connection));
    t.diagnostic(`Range behind a connection-window-bound snapshot: ${sameConnection.ms.toFixed(1)} ms, snapshot at ${record.dataBytes} B`);
    assert.equal(sameConnection.value, 0);
    assert.ok(sameConnection.ms < PROMPT_MS_MAX, `a Range sharing the connection window took ${sameConnection.ms.toFixed(0)} ms`);
    assert.equal(record.endStream, false, 'the snapshot was still going (the Range did not just wait for its end)');
    connection.sendRstStream(id, 0x8);
  } finally {
    if (timer !== null) clearInterval(timer);
    await connection.close();
  }
});
