// Restart time and resident memory with a large data set, etcd-ts next to Debian's
// etcd on the same data: one etcd-format snapshot of N keys (256-byte values) is
// written once, restored into a fresh data dir for each server (etcdctl snapshot
// restore / etcd-ts snapshot restore), and each server is started in turn, rounds
// alternating; "ready" is the first successful linearizable read of a known key.
// CPU seconds are printed next to wall times: on a shared machine they drift less.
// Usage: node dist/bench/restart-time.js [--keys 1000000] [--rounds 3]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { MemoryBackend } from '../src/backend/memory-backend.js';
import { KVService, RangeRequest } from '../src/generated/etcdserverpb/rpc.js';
import { MvccStore } from '../src/mvcc/mvcc-store.js';
import { exportEtcdSnapshot } from '../src/snapshot/etcd-format/export-etcd-snapshot.js';
import { freePorts } from './free-port.js';
import { sampleProcess } from './proc-stats.js';
import { numberFlag } from './flag-number.js';

const MIB = 1024 * 1024;
const VALUE_BYTES = 256;
const KEYS_PER_TXN = 1000;
const READY_POLL_MS = 20;
const READY_TIMEOUT_MS = 300_000;
const PROBE_KEY = Buffer.from('key/0000000');
/** GNU time, for the CPU seconds of the restore and save commands. */
const GNU_TIME = '/usr/bin/time';


async function writeSnapshot(path: string, keys: number): Promise<void> {
  const backend = MemoryBackend.open({ batchWritesMax: 1_000_000 });
  const store = MvccStore.open(backend);
  const value = Buffer.alloc(VALUE_BYTES, 0x61);
  for (let first = 0; first < keys; first += KEYS_PER_TXN) {
    const txn = store.write();
    for (let i = first; i < Math.min(keys, first + KEYS_PER_TXN); i++) txn.put(Buffer.from(`key/${String(i).padStart(7, '0')}`), value, 0n);
    txn.end();
  }
  await store.commit();
  await exportEtcdSnapshot(backend, path);
  await store.close();
  await backend.close();
}

function run(command: string, args: string[]): Promise<void> {
  const child = spawn(command, args, { stdio: 'ignore', env: { ...process.env, ETCDCTL_API: '3' } });
  return once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${String(code)}`);
  });
}

/** Runs a command under GNU time; returns its user + system CPU seconds (the machine is shared: wall time drifts with load). */
async function runTimed(command: string, args: string[], root: string): Promise<number> {
  const out = join(root, `cpu-${Date.now()}.txt`);
  await run(GNU_TIME, ['-f', '%U %S', '-o', out, command, ...args]);
  const [user, system] = (await readFile(out, 'utf8')).trim().split(' ').map(Number);
  return (user ?? 0) + (system ?? 0);
}

function probe(client: grpc.Client): Promise<boolean> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(KVService.range.path, KVService.range.requestSerialize, KVService.range.responseDeserialize,
      RangeRequest.fromPartial({ key: PROBE_KEY }), new grpc.Metadata(), { deadline: Date.now() + 1000 },
      (error, response) => resolve(error === null && (response?.kvs.length ?? 0) === 1));
  });
}

interface Measured {
  restoreMs: number;
  readyMs: number;
  rssMiB: number;
  /** Its anonymous and file-backed parts, and the peak (VmHWM) up to then. */
  rssAnonMiB: number;
  rssFileMiB: number;
  peakRssMiB: number;
  saveMs: number;
  /** CPU seconds: the restore command; the server from start to ready; the server and etcdctl during the save. */
  restoreCpuS: number;
  readyCpuS: number;
  saveCpuS: number;
}

async function startAndMeasure(kind: 'etcd' | 'etcd-ts', snapshot: string, root: string): Promise<Measured> {
  const [clientPort, peerPort] = await freePorts(2);
  const peer = `http://127.0.0.1:${peerPort}`;
  const client = `http://127.0.0.1:${clientPort}`;
  const dataDir = join(root, `${kind}-${Date.now()}`);
  const clusterFlags = ['--name', 'r', '--initial-cluster', `r=${peer}`, '--initial-advertise-peer-urls', peer];
  const restoreStarted = performance.now();
  const restoreCpuS = kind === 'etcd'
    ? await runTimed('/usr/bin/etcdctl', ['snapshot', 'restore', snapshot, '--data-dir', dataDir, ...clusterFlags], root)
    : await runTimed(process.execPath, [join(process.cwd(), 'bin', 'etcd-ts'), 'snapshot', 'restore', snapshot, '--data-dir', dataDir], root);
  const restoreMs = performance.now() - restoreStarted;
  const flags = [...clusterFlags, '--data-dir', dataDir, '--listen-client-urls', client, '--advertise-client-urls', client, '--listen-peer-urls', peer];
  const started = performance.now();
  const child = kind === 'etcd'
    ? spawn('/usr/bin/etcd', [...flags, '--logger', 'zap'], { stdio: 'ignore' })
    : spawn(process.execPath, [join(process.cwd(), 'bin', 'etcd-ts'), ...flags], { stdio: 'ignore' });
  // grpc-js backs off reconnects from 1 s up by 1.6x: with its defaults "ready" would be
  // rounded up to the next retry (1, 2.6, 5.2, 9.3 s ...) rather than measured.
  const grpcClient = new grpc.Client(`127.0.0.1:${clientPort}`, grpc.credentials.createInsecure(), {
    'grpc.initial_reconnect_backoff_ms': READY_POLL_MS,
    'grpc.max_reconnect_backoff_ms': READY_POLL_MS,
  });
  try {
    while (!(await probe(grpcClient))) {
      if (performance.now() - started > READY_TIMEOUT_MS) throw new Error(`${kind} not ready in ${READY_TIMEOUT_MS} ms`);
      await sleep(READY_POLL_MS);
    }
    const readyMs = performance.now() - started;
    const readyCpuS = sampleProcess(child.pid ?? 0).cpuS;
    await sleep(1000);
    const beforeSave = sampleProcess(child.pid ?? 0);
    const rssMiB = beforeSave.rssBytes / MIB;
    const rssAnonMiB = beforeSave.rssAnonBytes / MIB;
    const rssFileMiB = beforeSave.rssFileBytes / MIB;
    const peakRssMiB = beforeSave.peakRssBytes / MIB;
    const saveStarted = performance.now();
    const etcdctlCpuS = await runTimed('/usr/bin/etcdctl', ['--endpoints', `127.0.0.1:${clientPort}`, 'snapshot', 'save', join(root, `saved-${kind}.db`)], root);
    const saveMs = performance.now() - saveStarted;
    const saveCpuS = sampleProcess(child.pid ?? 0).cpuS - beforeSave.cpuS + etcdctlCpuS;
    return { restoreMs, readyMs, rssMiB, rssAnonMiB, rssFileMiB, peakRssMiB, saveMs, restoreCpuS, readyCpuS, saveCpuS };
  } finally {
    grpcClient.close();
    child.kill('SIGKILL');
    await once(child, 'exit');
    await rm(dataDir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const keys = numberFlag('keys', 1_000_000, { integer: true });
  const rounds = numberFlag('rounds', 3, { integer: true });
  const root = await mkdtemp(join(tmpdir(), 'etcd-restart-bench-'));
  try {
    const snapshot = join(root, 'data.db');
    const madeAt = performance.now();
    await writeSnapshot(snapshot, keys);
    console.log(`wrote a ${keys}-key snapshot in ${((performance.now() - madeAt) / 1000).toFixed(1)} s`);
    const results: Record<'etcd' | 'etcd-ts', Measured[]> = { etcd: [], 'etcd-ts': [] };
    for (let round = 0; round < rounds; round++) {
      for (const kind of ['etcd', 'etcd-ts'] as const) {
        const result = await startAndMeasure(kind, snapshot, root);
        results[kind].push(result);
        console.log(`round ${round + 1} ${kind}: restore ${result.restoreMs.toFixed(0)} ms (${result.restoreCpuS.toFixed(2)} CPU s), ready in ${result.readyMs.toFixed(0)} ms (${result.readyCpuS.toFixed(2)} CPU s), rss ${result.rssMiB.toFixed(1)} MiB (anon ${result.rssAnonMiB.toFixed(0)} + file ${result.rssFileMiB.toFixed(0)}, peak ${result.peakRssMiB.toFixed(0)}), snapshot save ${result.saveMs.toFixed(0)} ms (${result.saveCpuS.toFixed(2)} CPU s)`);
      }
    }
    for (const kind of ['etcd', 'etcd-ts'] as const) {
      const r = results[kind];
      const m = (pick: (x: Measured) => number): string => median(r.map(pick)).toFixed(0);
      const c = (pick: (x: Measured) => number): string => median(r.map(pick)).toFixed(2);
      console.log(`${kind}: median restore ${m((x) => x.restoreMs)} ms (${c((x) => x.restoreCpuS)} CPU s), ready ${m((x) => x.readyMs)} ms (${c((x) => x.readyCpuS)} CPU s), rss ${m((x) => x.rssMiB)} MiB (anon ${m((x) => x.rssAnonMiB)} + file ${m((x) => x.rssFileMiB)}, peak ${m((x) => x.peakRssMiB)}), snapshot save ${m((x) => x.saveMs)} ms (${c((x) => x.saveCpuS)} CPU s)`);
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
