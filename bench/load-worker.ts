// A load worker thread: owns a few connections and the clients that use them, runs the
// closed-loop or paced schedule it was given, and posts its merged latency histogram back.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { Histogram } from './histogram.js';
import type { LoadConnection } from './load-connection.js';
import { openConnection } from './open-connection.js';
import { requestFactory } from './request-factory.js';
import type { WorkerGo, WorkerMessage, WorkerResult, WorkerSetup } from './load-protocol.js';

/** Hard cap on requests per client, whatever the duration. */
const CLIENT_REQUESTS_MAX = 50_000_000;
/** A client gives up after this many failures in a row: the server is gone, not slow. */
const CLIENT_CONSECUTIVE_ERRORS_MAX = 1_000;

interface Tally {
  histogram: Histogram;
  okCount: number;
  errors: Record<string, number>;
  lastEndMs: number;
  lateStarts: number;
  gaveUp: number;
}

/** Local performance.now() value of an epoch time, so timers and latencies use one monotonic clock. */
function localMs(epochMs: number): number {
  return epochMs - performance.timeOrigin;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function runClient(
  setup: WorkerSetup,
  index: number,
  connections: LoadConnection[],
  go: WorkerGo,
  tally: Tally,
): Promise<void> {
  const client = setup.clients[index];
  if (!client) return;
  const connection = connections[client.connection];
  if (!connection) throw new Error(`client ${client.clientId} has no connection ${client.connection}`);
  const next = requestFactory(setup.operation, setup, client.clientId + 1);
  const startMs = localMs(go.startEpochMs);
  const measureMs = localMs(go.measureEpochMs);
  const stopMs = localMs(go.stopEpochMs);
  const quota = setup.clientQuota?.[index];
  const intervalMs = setup.clientRatePerS ? 1000 / setup.clientRatePerS : 0;
  // Stagger paced clients so their requests do not arrive in bursts.
  const offsetMs = intervalMs * (client.clientId / setup.totalClients);
  let measured = 0;
  let failuresInRow = 0;
  for (let i = 0; i < CLIENT_REQUESTS_MAX; i += 1) {
    // Encoding is client work, kept out of the measured latency.
    const req = next();
    let sentMs = performance.now();
    if (intervalMs > 0) {
      const dueMs = startMs + offsetMs + i * intervalMs;
      if (dueMs > sentMs) await sleep(dueMs - sentMs);
      else if (sentMs - dueMs > 1) tally.lateStarts += 1;
      // Latency counts from when the request was due, so a stalled server cannot hide its queue.
      sentMs = dueMs;
    }
    if (performance.now() >= stopMs || (quota !== undefined && measured >= quota)) break;
    const measuring = sentMs >= measureMs;
    const outcome = await connection.call(req.path, req.payload);
    const endMs = performance.now();
    failuresInRow = outcome === 'OK' ? 0 : failuresInRow + 1;
    if (failuresInRow >= CLIENT_CONSECUTIVE_ERRORS_MAX) {
      tally.gaveUp += 1;
      break;
    }
    if (!measuring) continue;
    measured += 1;
    tally.lastEndMs = Math.max(tally.lastEndMs, endMs);
    if (outcome === 'OK') {
      tally.okCount += 1;
      tally.histogram.record((endMs - sentMs) * 1000);
    } else {
      tally.errors[outcome] = (tally.errors[outcome] ?? 0) + 1;
    }
  }
}

async function runMeasured(setup: WorkerSetup, connections: LoadConnection[], go: WorkerGo): Promise<WorkerResult> {
  const tally: Tally = { histogram: new Histogram(), okCount: 0, errors: {}, lastEndMs: 0, lateStarts: 0, gaveUp: 0 };
  const startDelayMs = localMs(go.startEpochMs) - performance.now();
  if (startDelayMs > 0) await sleep(startDelayMs);
  const measureDelayMs = localMs(go.measureEpochMs) - performance.now();
  let eluStart = performance.eventLoopUtilization();
  const eluTimer = setTimeout(() => (eluStart = performance.eventLoopUtilization()), Math.max(0, measureDelayMs));
  await Promise.all(setup.clients.map((_, i) => runClient(setup, i, connections, go, tally)));
  clearTimeout(eluTimer);
  const elu = performance.eventLoopUtilization(eluStart);
  return {
    workerId: setup.workerId,
    histogram: tally.histogram.toData(),
    okCount: tally.okCount,
    errors: tally.errors,
    measuredStartEpochMs: go.measureEpochMs,
    lastEndEpochMs: tally.lastEndMs > 0 ? tally.lastEndMs + performance.timeOrigin : go.measureEpochMs,
    eventLoopUtilization: elu.utilization,
    lateStarts: tally.lateStarts,
    clientsGaveUp: tally.gaveUp,
  };
}

function post(message: WorkerMessage): void {
  parentPort?.postMessage(message);
}

async function main(): Promise<void> {
  const setup = workerData as WorkerSetup;
  const connections = setup.endpoints.map((ep, i) => openConnection(setup.transport, ep, setup.firstConnectionIndex + i));
  try {
    await Promise.all(connections.map((c) => c.waitReady()));
    const go = await new Promise<WorkerGo>((resolve) => {
      parentPort?.once('message', (m: WorkerGo) => resolve(m));
      post({ type: 'ready' });
    });
    post({ type: 'done', result: await runMeasured(setup, connections, go) });
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  } finally {
    for (const c of connections) c.close();
  }
}

void main();
