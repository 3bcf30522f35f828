// Scale scenario "flood": K raw HTTP/2 connections open unary Put and Range calls as fast as
// the server lets them and never read a reply, for N seconds, while one well-behaved client
// keeps calling on its own connection (both in scale-flood-worker.ts, on threads of their
// own). Reports the server's RSS over time, the polite client's latency, and the RSS once
// the flood connections are gone.
import { Worker } from 'node:worker_threads';
import { KVService, RangeRequest } from '../src/generated/etcdserverpb/rpc.js';
import { Http2Connection } from './http2-connection.js';
import type { FloodTally, FloodWorkerData, PoliteTally } from './scale-flood-worker.js';
import { scaleKey } from './scale-range.js';
import { rssAt, type RssSample, type ServerMemory } from './scale-memory.js';

const SAMPLE_INTERVAL_MS = 250;
const SETTLE_MS = 1000;
/** A worker that has not reported this long after the flood should have ended has hung. */
const WORKER_GRACE_MS = 30_000;

export interface FloodOptions {
  readonly connections: number;
  readonly durationS: number;
  readonly recoverS: number;
  /** Keys per flood Range (the first ones loaded); its reply is what the server must hold for an unread stream. */
  readonly rangeLimit: number;
  /** Open streams one flood connection keeps at most (a bound on the client, not the server). */
  readonly streamsPerConnectionMax: number;
}

export interface FloodResult extends FloodTally {
  readonly baseMb: number;
  readonly checkpoints: readonly { readonly atS: number; readonly rssMb: number }[];
  /** VmHWM at the end of the flood, and at the end of the recovery wait. */
  readonly peakMb: number;
  readonly peakAfterMb: number;
  readonly afterMb: number;
  readonly politeCalls: number;
  readonly politeErrors: number;
  readonly politeP50Ms: number;
  readonly politeP99Ms: number;
  readonly politeMaxMs: number;
  readonly politeAfterOk: boolean;
  readonly samples: readonly RssSample[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function runWorker<T>(data: FloodWorkerData): Promise<T> {
  const worker = new Worker(new URL('./scale-flood-worker.js', import.meta.url), { workerData: data });
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => void worker.terminate().then(() => reject(new Error(`${data.role} worker hung`))), data.durationMs + WORKER_GRACE_MS);
    worker.once('message', (message: T | { error: string }) => {
      clearTimeout(timer);
      void worker.terminate();
      if (typeof message === 'object' && message !== null && 'error' in message) reject(new Error(message.error));
      else resolve(message);
    });
    worker.once('error', (error) => (clearTimeout(timer), reject(error)));
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

async function answersAfter(endpoint: string): Promise<boolean> {
  const connection = new Http2Connection(endpoint);
  try {
    await connection.waitReady();
    return (await connection.call(KVService.range.path, KVService.range.requestSerialize(RangeRequest.fromPartial({ key: Buffer.from('scale/polite') })))) === 'OK';
  } catch {
    return false;
  } finally {
    connection.close();
  }
}

export async function floodScenario(endpoint: string, memory: ServerMemory, options: FloodOptions): Promise<FloodResult> {
  await sleep(SETTLE_MS);
  const baseMb = memory.rssMb();
  memory.resetPeak();
  const tracker = memory.track(SAMPLE_INTERVAL_MS);
  const durationMs = options.durationS * 1000;
  const common = { endpoint, durationMs, connections: options.connections, rangeKey: scaleKey(0), rangeEnd: scaleKey(options.rangeLimit), streamsPerConnectionMax: options.streamsPerConnectionMax };
  const [tally, polite] = await Promise.all([
    runWorker<FloodTally>({ role: 'flood', ...common }),
    runWorker<PoliteTally>({ role: 'polite', ...common }),
  ]);
  const peakMb = memory.peakMb();
  await sleep(options.recoverS * 1000);
  tracker.stop();
  const afterMb = memory.rssMb();
  const peakAfterMb = memory.peakMb();
  const politeAfterOk = await answersAfter(endpoint);
  const sorted = polite.latenciesMs.sort((a, b) => a - b);
  const checkpoints = [0.25, 0.5, 1].map((share) => ({ atS: (share * durationMs) / 1000, rssMb: rssAt(tracker.samples, share * durationMs) }));
  return {
    ...tally, baseMb, checkpoints, peakMb, peakAfterMb, afterMb,
    politeCalls: sorted.length, politeErrors: polite.errors,
    politeP50Ms: percentile(sorted, 50), politeP99Ms: percentile(sorted, 99), politeMaxMs: sorted[sorted.length - 1] ?? Number.NaN,
    politeAfterOk, samples: tracker.samples,
  };
}
