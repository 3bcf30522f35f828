// Maintenance.Snapshot is built as the client reads it: a client that pauses holds
// up only its own stream (the server keeps serving and does not buffer the file),
// gets a complete, valid snapshot of the revision it asked at once it reads on, and a
// client that never reads again does not keep the server from stopping.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as grpc from '@grpc/grpc-js';
import { MaintenanceService, SnapshotRequest, type SnapshotResponse } from '../../src/generated/etcdserverpb/rpc.js';
import { RawKv } from '../support/raw-kv.js';
import { startServer } from '../support/server-process.js';
import { snapshotStatus } from './etcd-snapshot-helpers.js';

const KEYS = 400;
const VALUE_BYTES = 50_000;
const PUTS_IN_FLIGHT = 20;
const PAUSE_MS = 1_500;
/** Far below the ~20 MB file: what a paused stream may add to the server's memory. */
const PAUSED_GROWTH_BYTES_MAX = 10 * 1024 * 1024;
/** The test harness sends SIGKILL after 10 s; a clean stop comes well before. */
const STOP_MS_MAX = 9_000;
const SHA256_BYTES = 32;
const TEST_TIMEOUT_MS = 120_000;

/** Anonymous resident memory: lmdb's file mapping, which the read brings in, is not counted. */
function rssBytes(pid: number): number {
  const match = /RssAnon:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(match, 'RssAnon in /proc status');
  return Number(match[1]) * 1024;
}

/** A snapshot stream that pauses after its first message; `resume` reads the rest. */
function pausedSnapshot(channel: grpc.Client): { first: Promise<void>; resume: () => Promise<SnapshotResponse[]>; done: Promise<unknown> } {
  const m = MaintenanceService.snapshot;
  const stream = channel.makeServerStreamRequest(m.path, m.requestSerialize, m.responseDeserialize, SnapshotRequest.fromPartial({}));
  const messages: SnapshotResponse[] = [];
  let firstSeen: () => void = () => undefined;
  const first = new Promise<void>((resolve) => (firstSeen = resolve));
  const done = new Promise<unknown>((resolve) => {
    stream.on('end', () => resolve(undefined));
    stream.on('error', (error: unknown) => resolve(error));
  });
  stream.on('data', (message: SnapshotResponse) => {
    messages.push(message);
    if (messages.length === 1) {
      stream.pause();
      firstSeen();
    }
  });
  return {
    first,
    done,
    resume: async () => {
      stream.resume();
      const outcome = await done;
      if (outcome !== undefined) throw outcome;
      return messages;
    },
  };
}

test('a snapshot client that pauses holds up only its own stream, and one that never reads does not stop the server stopping', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'snapshot-slow-client-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const server = await startServer();
  const kv = new RawKv(server.endpoint);
  let stopped = false;
  t.after(async () => {
    kv.close();
    if (!stopped) await server.stop();
  });
  const value = Buffer.alloc(VALUE_BYTES, 0x76);
  for (let first = 0; first < KEYS; first += PUTS_IN_FLIGHT) {
    const puts = [];
    for (let i = first; i < first + PUTS_IN_FLIGHT; i++) puts.push(kv.put({ key: Buffer.from(`big/${String(i).padStart(4, '0')}`), value }));
    await Promise.all(puts);
  }

  const revision = Number((await kv.status()).header?.revision ?? 0);
  const before = rssBytes(server.pid);
  const slow = pausedSnapshot(kv.channel);
  await slow.first;
  await sleep(PAUSE_MS);
  const growth = rssBytes(server.pid) - before;
  assert.ok(growth < PAUSED_GROWTH_BYTES_MAX, `server grew ${growth} bytes while the client paused`);
  await kv.stillServes();

  const messages = await slow.resume();
  const blobs = messages.map((message) => message.blob);
  const db = Buffer.concat(blobs.slice(0, -1));
  assert.ok(db.length > KEYS * VALUE_BYTES, `${db.length} bytes of db`);
  assert.deepEqual(blobs.at(-1), createHash('sha256').update(db).digest());
  assert.equal(blobs.at(-1)?.length, SHA256_BYTES);
  assert.deepEqual(messages.map((message) => Number(message.remainingBytes)).slice(-2), [0, 0]);
  const file = join(work, 'slow.db');
  await writeFile(file, Buffer.concat(blobs));
  // The put made while the stream was paused is not in it: both passes read one point in time.
  const status = await snapshotStatus(file);
  assert.equal(status.revision, revision);
  assert.ok(status.totalKey > KEYS);

  const stalled = pausedSnapshot(kv.channel);
  await stalled.first;
  const stopStarted = performance.now();
  const code = await server.stop();
  stopped = true;
  const stopMs = performance.now() - stopStarted;
  assert.equal(code, 0);
  assert.ok(stopMs < STOP_MS_MAX, `stop took ${stopMs.toFixed(0)} ms with a stalled snapshot client`);
  assert.ok((await stalled.done) instanceof Error, 'the stalled stream ends in an error');
});
