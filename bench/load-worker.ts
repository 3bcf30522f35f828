// A load worker thread: owns a few connections and the clients that use them, runs the
// closed-loop or paced schedule it was given, and posts its merged latency histogram back.
// Unary clients live here; watch and lease keep-alive clients in their own files.
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { LoadConnection } from './load-connection.js';
import { keepAliveClients } from './lease-keepalive-load.js';
import { openConnection } from './open-connection.js';
import { requestFactory } from './request-factory.js';
import type { WorkerGo, WorkerMessage, WorkerResult, WorkerSetup } from './load-protocol.js';
import { openWatchers, watchWriters } from './watch-load.js';
import { countError, newTally, resultOf, type ClientsRun, type Tally } from './worker-tally.js';
import { localMs, pacerFor, sleep, waitTurn } from './worker-pacing.js';

/** Hard cap on requests per client, whatever the duration. */
const CLIENT_REQUESTS_MAX = 50_000_000;
/** A client gives up after this many failures in a row: the server is gone, not slow. */
const CLIENT_CONSECUTIVE_ERRORS_MAX = 1_000;

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
  if (setup.operation.kind === 'watch' || setup.operation.kind === 'lease-keep-alive') throw new Error(`${setup.operation.kind} is not a unary load`);
  const next = requestFactory(setup.operation, setup, client.clientId + 1);
  const pacer = pacerFor(localMs(go.startEpochMs), localMs(go.measureEpochMs), setup.clientRatePerS, client.clientId, setup.totalClients);
  const measureMs = localMs(go.measureEpochMs);
  const stopMs = localMs(go.stopEpochMs);
  const quota = setup.clientQuota?.[index];
  let measured = 0;
  let failuresInRow = 0;
  for (let i = 0; i < CLIENT_REQUESTS_MAX; i += 1) {
    // Encoding is client work, kept out of the measured latency.
    const req = next();
    const sentMs = await waitTurn(pacer, i, () => (tally.lateStarts += 1));
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
      countError(tally, outcome);
    }
  }
}

/** Sets up what a role needs before "ready" (watches are created here) and returns its run. */
async function prepare(setup: WorkerSetup, connections: LoadConnection[], tally: Tally): Promise<ClientsRun> {
  switch (setup.role) {
    case 'unary':
      return async (go) => void (await Promise.all(setup.clients.map((_, i) => runClient(setup, i, connections, go, tally))));
    case 'watcher':
      return openWatchers(setup, connections, tally);
    case 'watch-writer':
      return watchWriters(setup, connections);
    case 'lease-keep-alive':
      return keepAliveClients(setup, connections, tally);
  }
}

async function runMeasured(setup: WorkerSetup, run: ClientsRun, go: WorkerGo, tally: Tally): Promise<WorkerResult> {
  const startDelayMs = localMs(go.startEpochMs) - performance.now();
  if (startDelayMs > 0) await sleep(startDelayMs);
  const measureDelayMs = localMs(go.measureEpochMs) - performance.now();
  let eluStart = performance.eventLoopUtilization();
  const eluTimer = setTimeout(() => (eluStart = performance.eventLoopUtilization()), Math.max(0, measureDelayMs));
  // Watchers listen on after the stop for late events; their utilisation counts until the stop.
  let eluAtStop: number | undefined;
  const stopTimer = setTimeout(() => (eluAtStop = performance.eventLoopUtilization(eluStart).utilization), Math.max(0, localMs(go.stopEpochMs) - performance.now()));
  await run(go, tally);
  clearTimeout(eluTimer);
  clearTimeout(stopTimer);
  const elu = eluAtStop ?? performance.eventLoopUtilization(eluStart).utilization;
  return resultOf(setup, go, tally, elu, performance.timeOrigin);
}

function post(message: WorkerMessage): void {
  parentPort?.postMessage(message);
}

async function main(): Promise<void> {
  const setup = workerData as WorkerSetup;
  const connections = setup.endpoints.map((ep, i) => openConnection(setup.transport, ep, setup.firstConnectionIndex + i));
  try {
    await Promise.all(connections.map((c) => c.waitReady()));
    const tally = newTally();
    const run = await prepare(setup, connections, tally);
    const go = await new Promise<WorkerGo>((resolve) => {
      parentPort?.once('message', (m: WorkerGo) => resolve(m));
      post({ type: 'ready' });
    });
    post({ type: 'done', result: await runMeasured(setup, run, go, tally) });
  } catch (err) {
    post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  } finally {
    for (const c of connections) c.close();
  }
}

void main();
