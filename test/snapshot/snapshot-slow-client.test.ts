// Maintenance.Snapshot is built as the client reads it: a client that pauses holds
// up only its own stream (the server keeps serving and does not buffer the file),
// gets a complete, valid snapshot of the revision it asked at once it reads on, and a
// client that never reads again does not keep the server from stopping.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import http2 from 'node:http2';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MaintenanceService, SnapshotRequest, SnapshotResponse } from '../../src/generated/etcdserverpb/rpc.js';
import { SNAPSHOT_BLOCK_BYTES } from '../../src/snapshot/etcd-format/etcd-snapshot-chunks.js';
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

/** gRPC's message prefix: a compressed flag byte and a u32 big-endian length. */
const GRPC_PREFIX_BYTES = 5;

interface PausedSnapshot {
  received: () => number;
  first: Promise<void>;
  resume: () => Promise<SnapshotResponse[]>;
  /** Resolves with undefined on status OK, else with an Error. */
  done: Promise<Error | undefined>;
}

/** The gRPC messages in a response body. */
function messagesOf(body: Buffer): SnapshotResponse[] {
  const messages: SnapshotResponse[] = [];
  // Each pass takes one whole message, so this ends with the body.
  for (let at = 0; at + GRPC_PREFIX_BYTES <= body.length; ) {
    const bytes = body.readUInt32BE(at + 1);
    messages.push(SnapshotResponse.decode(body.subarray(at + GRPC_PREFIX_BYTES, at + GRPC_PREFIX_BYTES + bytes)));
    at += GRPC_PREFIX_BYTES + bytes;
  }
  return messages;
}

/**
 * A snapshot call over plain HTTP/2 that stops reading once its first message is in:
 * then only HTTP/2 flow control holds the server back (a gRPC library would go on
 * reading a few messages ahead into its own queue). `resume` reads the rest.
 */
function pausedSnapshot(endpoint: string): PausedSnapshot {
  const session = http2.connect(`http://${endpoint}`);
  const stream = session.request({ ':method': 'POST', ':path': MaintenanceService.snapshot.path, 'content-type': 'application/grpc', te: 'trailers' });
  const request = Buffer.from(SnapshotRequest.encode(SnapshotRequest.fromPartial({})).finish());
  const prefix = Buffer.alloc(GRPC_PREFIX_BYTES);
  prefix.writeUInt32BE(request.length, 1);
  stream.end(Buffer.concat([prefix, request]));
  const chunks: Buffer[] = [];
  let received = 0;
  let firstSeen: (() => void) | undefined;
  let firstMissed: (error: Error) => void = () => undefined;
  const first = new Promise<void>((resolve, reject) => {
    firstSeen = resolve;
    firstMissed = reject;
  });
  let grpcStatus: string | undefined;
  stream.on('trailers', (trailers) => (grpcStatus = String(trailers['grpc-status'])));
  stream.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    received += chunk.length;
    if (firstSeen !== undefined && received >= GRPC_PREFIX_BYTES && received >= GRPC_PREFIX_BYTES + Buffer.concat(chunks).readUInt32BE(1)) {
      stream.pause();
      firstSeen();
      firstSeen = undefined;
    }
  });
  const done = new Promise<Error | undefined>((resolve) => {
    stream.on('error', (error: Error) => resolve(error));
    stream.on('close', () => resolve(grpcStatus === '0' ? undefined : new Error(`snapshot ended with grpc-status ${String(grpcStatus)}`)));
  }).finally(() => {
    session.close();
    if (firstSeen !== undefined) firstMissed(new Error('the snapshot stream ended before its first message'));
  });
  return {
    received: () => received,
    first,
    done,
    resume: async () => {
      stream.resume();
      const outcome = await done;
      if (outcome !== undefined) throw outcome;
      return messagesOf(Buffer.concat(chunks));
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
  const slow = pausedSnapshot(server.endpoint);
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
  // The file goes out a block per message (etcd's 32 KiB chunks would be 32 times as many), then the digest.
  assert.equal(messages.length, Math.ceil(db.length / SNAPSHOT_BLOCK_BYTES) + 1);
  const file = join(work, 'slow.db');
  await writeFile(file, Buffer.concat(blobs));
  // The put made while the stream was paused is not in it: both passes read one point in time.
  const status = await snapshotStatus(file);
  assert.equal(status.revision, revision);
  assert.ok(status.totalKey > KEYS);

  const stalled = pausedSnapshot(server.endpoint);
  await stalled.first;
  const stopStarted = performance.now();
  const code = await server.stop();
  stopped = true;
  const stopMs = performance.now() - stopStarted;
  assert.equal(code, 0);
  assert.ok(stopMs < STOP_MS_MAX, `stop took ${stopMs.toFixed(0)} ms with a stalled snapshot client`);
  // What it had buffered before the stop can still be read: the stream ends in an error, not a snapshot.
  await assert.rejects(stalled.resume(), /grpc-status|stream|socket|session/i);
});
