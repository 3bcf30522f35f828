// Leases at scale, etcd-ts next to Debian's etcd, both as processes on fresh data
// dirs: grant N leases with one key each, measure resident memory, keep-alive
// renewals per second on one stream, and expiry lag (delete event seen by a
// watcher minus grant acknowledged + TTL). Never-early is checked: a negative lag
// is counted and reported.
// Usage: node dist/bench/lease-scale.js [--leases 10000] [--ttl-s 5] [--keepalive-s 5]
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import {
  KVService,
  LeaseGrantRequest,
  LeaseKeepAliveRequest,
  LeaseService,
  PutRequest,
  RangeRequest,
  WatchRequest,
  WatchService,
  type LeaseGrantResponse,
  type LeaseKeepAliveResponse,
  type WatchResponse,
} from '../src/generated/etcdserverpb/rpc.js';
import { Event_EventType } from '../src/generated/mvccpb/kv.js';
import { freePorts } from './free-port.js';
import { sampleProcess } from './proc-stats.js';
import { numberFlag } from './flag-number.js';

const CALLS_IN_FLIGHT_MAX = 128;
const READY_TIMEOUT_MS = 30_000;
const EXPIRY_WAIT_SLACK_MS = 60_000;
const LONG_TTL_S = 600n;


function unary<Req, Res>(client: grpc.Client, method: { path: string; requestSerialize: (r: Req) => Buffer; responseDeserialize: (b: Buffer) => Res }, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, new grpc.Metadata(),
      { deadline: Date.now() + 30_000 }, (error, response) => (error || response === undefined ? reject(error ?? new Error('empty')) : resolve(response)));
  });
}

async function startServer(kind: 'etcd' | 'etcd-ts', root: string): Promise<{ child: ChildProcess; client: grpc.Client }> {
  const [clientPort, peerPort] = await freePorts(2);
  const peer = `http://127.0.0.1:${peerPort}`;
  const url = `http://127.0.0.1:${clientPort}`;
  const flags = ['--name', 'l', '--data-dir', join(root, kind), '--listen-client-urls', url, '--advertise-client-urls', url,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer, '--initial-cluster', `l=${peer}`];
  const child = kind === 'etcd'
    ? spawn('/usr/bin/etcd', [...flags, '--logger', 'zap'], { stdio: 'ignore' })
    : spawn(process.execPath, [join(process.cwd(), 'bin', 'etcd-ts'), ...flags], { stdio: 'ignore' });
  const client = new grpc.Client(`127.0.0.1:${clientPort}`, grpc.credentials.createInsecure());
  const started = Date.now();
  for (;;) {
    try {
      await unary(client, KVService.range, RangeRequest.fromPartial({ key: Buffer.from('probe') }));
      return { child, client };
    } catch {
      if (Date.now() - started > READY_TIMEOUT_MS) throw new Error(`${kind} did not start`);
      await sleep(50);
    }
  }
}

async function inParallel(count: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(CALLS_IN_FLIGHT_MAX, count) }, worker));
}

async function grantWithKeys(client: grpc.Client, count: number, ttl: bigint, prefix: string, grantedAtMs: Map<string, number> | null): Promise<bigint[]> {
  const ids: bigint[] = [];
  await inParallel(count, async (i) => {
    const granted: LeaseGrantResponse = await unary(client, LeaseService.leaseGrant, LeaseGrantRequest.fromPartial({ TTL: ttl }));
    const key = `${prefix}${i}`;
    grantedAtMs?.set(key, Date.now());
    await unary(client, KVService.put, PutRequest.fromPartial({ key: Buffer.from(key), value: Buffer.from('x'), lease: granted.ID }));
    ids.push(granted.ID);
  });
  return ids;
}

async function keepAliveRate(client: grpc.Client, ids: readonly bigint[], seconds: number): Promise<number> {
  const stream = client.makeBidiStreamRequest(LeaseService.leaseKeepAlive.path, LeaseService.leaseKeepAlive.requestSerialize,
    LeaseService.leaseKeepAlive.responseDeserialize) as grpc.ClientDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse>;
  let answered = 0;
  let outstanding = 0;
  const window = 1000;
  let index = 0;
  const endAt = Date.now() + seconds * 1000;
  const pump = (): void => {
    while (outstanding < window && Date.now() < endAt) {
      stream.write(LeaseKeepAliveRequest.fromPartial({ ID: ids[index++ % ids.length] ?? 0n }));
      outstanding++;
    }
  };
  stream.on('data', () => {
    answered++;
    outstanding--;
    pump();
  });
  stream.on('error', () => undefined);
  const started = Date.now();
  pump();
  await sleep(seconds * 1000);
  const rate = answered / ((Date.now() - started) / 1000);
  stream.cancel();
  return rate;
}

async function expiryLags(client: grpc.Client, count: number, ttlS: number): Promise<{ lags: number[]; early: number }> {
  const watch = client.makeBidiStreamRequest(WatchService.watch.path, WatchService.watch.requestSerialize,
    WatchService.watch.responseDeserialize) as grpc.ClientDuplexStream<WatchRequest, WatchResponse>;
  const deletedAtMs = new Map<string, number>();
  watch.on('data', (response: WatchResponse) => {
    for (const event of response.events) if (event.type === Event_EventType.DELETE && event.kv) deletedAtMs.set(event.kv.key.toString(), Date.now());
  });
  watch.on('error', () => undefined);
  watch.write(WatchRequest.fromPartial({ requestUnion: { $case: 'createRequest', value: { key: Buffer.from('exp/'), rangeEnd: Buffer.from('exp0') } } }));
  await sleep(200);
  const grantedAtMs = new Map<string, number>();
  await grantWithKeys(client, count, BigInt(ttlS), 'exp/', grantedAtMs);
  const deadline = Date.now() + ttlS * 1000 + EXPIRY_WAIT_SLACK_MS + count;
  while (deletedAtMs.size < count && Date.now() < deadline) await sleep(100);
  watch.cancel();
  const lags: number[] = [];
  let early = 0;
  for (const [key, granted] of grantedAtMs) {
    const deleted = deletedAtMs.get(key);
    if (deleted === undefined) continue;
    const lag = deleted - (granted + ttlS * 1000);
    if (lag < 0) early++;
    lags.push(lag);
  }
  return { lags: lags.sort((a, b) => a - b), early };
}

function pct(sorted: readonly number[], p: number): string {
  return ((sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN) / 1000).toFixed(2);
}

async function measure(kind: 'etcd' | 'etcd-ts', leases: number, ttlS: number, keepAliveS: number): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), `lease-bench-${kind}-`));
  const { child, client } = await startServer(kind, root);
  try {
    const started = Date.now();
    const ids = await grantWithKeys(client, leases, LONG_TTL_S, 'held/', null);
    const grantS = (Date.now() - started) / 1000;
    await sleep(1000);
    const rssMiB = sampleProcess(child.pid ?? 0).rssBytes / (1024 * 1024);
    const rate = await keepAliveRate(client, ids, keepAliveS);
    const { lags, early } = await expiryLags(client, leases, ttlS);
    console.log(`${kind}: ${leases} leases+keys granted in ${grantS.toFixed(1)} s; rss ${rssMiB.toFixed(0)} MiB; keep-alive ${rate.toFixed(0)}/s on one stream; ` +
      `expiry lag p50 ${pct(lags, 50)} s p99 ${pct(lags, 99)} s max ${pct(lags, 100)} s (${lags.length}/${leases} seen, ${early} early)`);
  } finally {
    client.close();
    child.kill('SIGKILL');
    await once(child, 'exit');
    await rm(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const leases = numberFlag('leases', 10_000);
  const ttlS = numberFlag('ttl-s', 5);
  const keepAliveS = numberFlag('keepalive-s', 5);
  for (const kind of ['etcd', 'etcd-ts'] as const) await measure(kind, leases, ttlS, keepAliveS);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
