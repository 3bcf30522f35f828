// Runs one spec against given endpoints: pre-loads keys, spreads connections over worker
// threads, starts them on one shared timeline, and merges their results with CPU and memory use.
import { loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { DiskTimings } from './disk-timings.js';
import { Histogram, type HistogramData, type Percentiles } from './histogram.js';
import { CALL_TIMEOUT_MS, CONNECT_TIMEOUT_MS, type Transport } from './load-connection.js';
import { preload } from './preload.js';
import { sampleProcess, type ProcSample } from './proc-stats.js';
import type { WorkerGo, WorkerMessage, WorkerResult, WorkerRole, WorkerSetup } from './load-protocol.js';
import type { Preloaded } from './preload.js';
import { AckRing } from './watch-load.js';
import type { Spec } from './spec-table.js';

/** Count mode stops anyway after this long. */
export const COUNT_MODE_TIME_MAX_MS = 10 * 60_000;
/** Lead time between telling workers "go" and their common start, so all start together. */
const START_LEAD_MS = 100;
/** Slack after the planned stop for in-flight requests and result transfer. */
const FINISH_SLACK_MS = CALL_TIMEOUT_MS + 5_000;
export const CONNS_PER_WORKER_DEFAULT = 2;

export interface RunOptions {
  endpoints: string[];
  /** The spec with any command-line overrides already applied. */
  spec: Spec;
  durationS: number | undefined;
  total: number | undefined;
  warmupS: number;
  ratePerS: number | undefined;
  connsPerWorker: number;
  transport: Transport;
  /** Pid of the server when the bench started it, for CPU and memory figures. */
  serverPid: number | undefined;
}

export interface ServerUsage {
  cpuS: number;
  cpuPerOpUs: number;
  peakRssBytes: number;
  rssBytes: number;
}

export interface RunResult {
  spec: string;
  endpoints: string[];
  clients: number;
  conns: number;
  workers: number;
  transport: Transport;
  mode: 'closed-loop' | 'fixed-rate';
  ratePerS: number | undefined;
  measuredS: number;
  okCount: number;
  errorCount: number;
  errors: Record<string, number>;
  throughputPerS: number;
  latency: Percentiles;
  histogram: HistogramData;
  generator: { cpuS: number; workers: number; eventLoopUtilizationMax: number; lateStarts: number; clientsGaveUp: number };
  server: ServerUsage | undefined;
  /** One-minute load average when the run ended: other work on the machine skews every figure. */
  hostLoad1m: number;
  /** Watch specs: throughput and the main latency are delivered events and put-send -> event. */
  watch: WatchRunSummary | undefined;
  /** The servers' WAL sync and backend commit timings over the run (compare and cluster only). */
  disk?: DiskTimings;
}

export interface WatchRunSummary {
  putsAcked: number;
  /** Events the acknowledged puts should produce (each put times the watchers of its key). */
  expectedEvents: number;
  deliveredEvents: number;
  deliveredFraction: number;
  /** Events that reached a watcher before their writer saw the put's ack (counted as 0 ms ack -> event). */
  eventsBeforeAck: number;
  ackToEvent: Percentiles;
  ackToEventHistogram: HistogramData;
  /** Put latency of the writers, due -> ack. */
  put: Percentiles;
}

/** Adds up the watch counters of watchers and writers; undefined when the run was not a watch. */
export function mergeWatch(results: readonly WorkerResult[]): WatchRunSummary | undefined {
  const tallies = results.flatMap((r) => (r.watch ? [r.watch] : []));
  if (tallies.length === 0) return undefined;
  const ack = new Histogram();
  const put = new Histogram();
  let putsAcked = 0;
  let expectedEvents = 0;
  let deliveredEvents = 0;
  let eventsBeforeAck = 0;
  for (const t of tallies) {
    ack.merge(t.ackHistogram);
    put.merge(t.putHistogram);
    putsAcked += t.putsAcked;
    expectedEvents += t.expected;
    deliveredEvents += t.delivered;
    eventsBeforeAck += t.eventsBeforeAck;
  }
  return {
    putsAcked,
    expectedEvents,
    deliveredEvents,
    deliveredFraction: expectedEvents > 0 ? deliveredEvents / expectedEvents : 0,
    eventsBeforeAck,
    ackToEvent: ack.percentiles(),
    ackToEventHistogram: ack.toData(),
    put: put.percentiles(),
  };
}

/** Under tsx (tests) this module is a .ts file and so is its worker. */
const RUNNING_FROM_SOURCE = import.meta.url.endsWith('.ts');

function newLoadWorker(setup: WorkerSetup): Worker {
  const url = new URL(`./load-worker.${RUNNING_FROM_SOURCE ? 'ts' : 'js'}`, import.meta.url);
  if (!RUNNING_FROM_SOURCE) return new Worker(url, { workerData: setup });
  // Node 20 does not apply tsx's loader to a worker's entry file, so a bootstrap registers it first.
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: setup });
}

/** Watch writers use connections of their own, apart from the watchers'. */
const WATCH_WRITER_CONNS = 2;

/** One group of clients of the same role, spread over its own connections. */
interface ClientGroup {
  role: WorkerRole;
  clients: number;
  conns: number;
  ratePerS: number | undefined;
  firstWorkerId: number;
  firstConnection: number;
}

interface SharedSetup {
  ackRing: SharedArrayBuffer | undefined;
  leaseIds: bigint[] | undefined;
}

/** Splits a group's clients over its connections round-robin and connections over workers in groups. */
function planGroup(opts: RunOptions, group: ClientGroup, shared: SharedSetup): WorkerSetup[] {
  const { spec } = opts;
  const conns = Math.max(1, Math.min(group.conns, group.clients));
  const perWorker = Math.max(1, opts.connsPerWorker);
  const workerCount = Math.ceil(conns / perWorker);
  const quotaOf = (clientId: number): number | undefined =>
    opts.total === undefined ? undefined : Math.floor(opts.total / group.clients) + (clientId < opts.total % group.clients ? 1 : 0);
  const setups: WorkerSetup[] = [];
  for (let w = 0; w < workerCount; w += 1) {
    const first = w * perWorker;
    const own = Array.from({ length: Math.min(perWorker, conns - first) }, (_, i) => first + i);
    const clients = [];
    for (let c = 0; c < group.clients; c += 1) {
      const conn = c % conns;
      if (conn >= first && conn < first + own.length) clients.push({ clientId: c, connection: conn - first });
    }
    setups.push({
      workerId: group.firstWorkerId + w,
      role: group.role,
      transport: opts.transport,
      endpoints: own.map((k) => opts.endpoints[(group.firstConnection + k) % opts.endpoints.length] ?? ''),
      firstConnectionIndex: group.firstConnection + first,
      clients,
      totalClients: group.clients,
      operation: spec.operation,
      valueBytes: spec.valueBytes,
      keySpace: spec.keySpace,
      clientRatePerS: group.ratePerS === undefined ? undefined : group.ratePerS / group.clients,
      clientQuota: opts.total === undefined ? undefined : clients.map((c) => quotaOf(c.clientId) ?? 0),
      ackRing: shared.ackRing,
      watchers: spec.operation.kind === 'watch' ? spec.clients : 0,
      leaseIds: shared.leaseIds,
    });
  }
  return setups;
}

/**
 * The workers of a run: the spec's clients (unary, keep-alive or watchers) over its connections;
 * a watch spec adds paced writers on connections of their own, at the event rate (or --rate).
 */
export function planWorkers(opts: RunOptions, preloaded: Preloaded = { leaseIds: undefined }): WorkerSetup[] {
  const { spec } = opts;
  const op = spec.operation;
  const role: WorkerRole = op.kind === 'watch' ? 'watcher' : op.kind === 'lease-keep-alive' ? 'lease-keep-alive' : 'unary';
  const shared: SharedSetup = { ackRing: op.kind === 'watch' ? AckRing.allocate() : undefined, leaseIds: preloaded.leaseIds };
  const main: ClientGroup = { role, clients: spec.clients, conns: spec.conns, ratePerS: op.kind === 'watch' ? undefined : opts.ratePerS, firstWorkerId: 0, firstConnection: 0 };
  const setups = planGroup(opts, main, shared);
  if (op.kind !== 'watch') return setups;
  const writers: ClientGroup = {
    role: 'watch-writer',
    clients: op.writers,
    conns: WATCH_WRITER_CONNS,
    ratePerS: opts.ratePerS ?? op.eventsPerS,
    firstWorkerId: setups.length,
    firstConnection: Math.min(spec.conns, spec.clients),
  };
  return [...setups, ...planGroup(opts, writers, shared)];
}

interface StartedWorker {
  worker: Worker;
  ready: Promise<void>;
  done: Promise<WorkerResult>;
}

function startWorker(setup: WorkerSetup): StartedWorker {
  const worker = newLoadWorker(setup);
  let onReady: () => void = () => undefined;
  let onFail: (e: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => ((onReady = resolve), (onFail = reject)));
  const done = new Promise<WorkerResult>((resolve, reject) => {
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'ready') onReady();
      else if (m.type === 'done') resolve(m.result);
      else {
        const err = new Error(`load worker ${setup.workerId}: ${m.message}`);
        onFail(err);
        reject(err);
      }
    });
    worker.on('error', (e) => (onFail(e), reject(e)));
    worker.on('exit', (code) => {
      const err = new Error(`load worker ${setup.workerId} exited with ${code}`);
      onFail(err);
      reject(err);
    });
  });
  ready.catch(() => undefined);
  done.catch(() => undefined);
  return { worker, ready, done };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

interface Measured {
  results: WorkerResult[];
  generatorCpuS: number;
  serverBefore: ProcSample | undefined;
  serverAfter: ProcSample | undefined;
}

async function runWorkers(opts: RunOptions, setups: WorkerSetup[]): Promise<Measured> {
  const started = setups.map(startWorker);
  try {
    await withTimeout(Promise.all(started.map((s) => s.ready)), CONNECT_TIMEOUT_MS + 5_000, 'connecting load workers');
    const startEpochMs = Date.now() + START_LEAD_MS;
    const measureEpochMs = startEpochMs + opts.warmupS * 1000;
    const runMs = opts.durationS !== undefined && opts.total === undefined ? opts.durationS * 1000 : COUNT_MODE_TIME_MAX_MS;
    const go: WorkerGo = { type: 'go', startEpochMs, measureEpochMs, stopEpochMs: measureEpochMs + runMs };
    let cpuBefore = process.cpuUsage();
    let serverBefore: ProcSample | undefined;
    const sampleTimer = setTimeout(() => {
      cpuBefore = process.cpuUsage();
      if (opts.serverPid !== undefined) serverBefore = sampleProcess(opts.serverPid);
    }, measureEpochMs - Date.now());
    for (const s of started) s.worker.postMessage(go);
    const results = await withTimeout(Promise.all(started.map((s) => s.done)), go.stopEpochMs - Date.now() + FINISH_SLACK_MS, 'load run');
    clearTimeout(sampleTimer);
    const cpu = process.cpuUsage(cpuBefore);
    const serverAfter = opts.serverPid === undefined ? undefined : sampleProcess(opts.serverPid);
    return { results, generatorCpuS: (cpu.user + cpu.system) / 1e6, serverBefore, serverAfter };
  } finally {
    await Promise.all(started.map((s) => s.worker.terminate()));
  }
}

export async function runLoad(opts: RunOptions): Promise<RunResult> {
  if (opts.spec.operation.kind === 'watch' && opts.total !== undefined) throw new Error('watch specs run for a duration, not a --total');
  const preloaded = await preload(opts.endpoints[0] ?? '', opts.spec, opts.transport);
  const setups = planWorkers(opts, preloaded);
  const measured = await runWorkers(opts, setups);
  return mergeResults(opts, setups.length, measured);
}

function mergeResults(opts: RunOptions, workers: number, m: Measured): RunResult {
  const histogram = new Histogram();
  const errors: Record<string, number> = {};
  let okCount = 0;
  let startMs = Number.POSITIVE_INFINITY;
  let endMs = 0;
  for (const r of m.results) {
    histogram.merge(r.histogram);
    okCount += r.okCount;
    for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
    startMs = Math.min(startMs, r.measuredStartEpochMs);
    endMs = Math.max(endMs, r.lastEndEpochMs);
  }
  const op = opts.spec.operation;
  const countMode = opts.total !== undefined;
  const measuredS = countMode || opts.durationS === undefined ? Math.max(0.001, (endMs - startMs) / 1000) : opts.durationS;
  const serverCpuS = m.serverBefore && m.serverAfter ? m.serverAfter.cpuS - m.serverBefore.cpuS : undefined;
  return {
    spec: opts.spec.name,
    endpoints: opts.endpoints,
    clients: opts.spec.clients,
    conns: Math.min(opts.spec.conns, opts.spec.clients),
    workers,
    transport: opts.transport,
    mode: opts.ratePerS === undefined && op.kind !== 'watch' ? 'closed-loop' : 'fixed-rate',
    ratePerS: opts.ratePerS ?? (op.kind === 'watch' ? op.eventsPerS : undefined),
    measuredS,
    okCount,
    errorCount: Object.values(errors).reduce((a, b) => a + b, 0),
    errors,
    throughputPerS: okCount / measuredS,
    latency: histogram.percentiles(),
    histogram: histogram.toData(),
    generator: {
      cpuS: m.generatorCpuS,
      workers,
      eventLoopUtilizationMax: Math.max(0, ...m.results.map((r) => r.eventLoopUtilization)),
      lateStarts: m.results.reduce((a, r) => a + r.lateStarts, 0),
      clientsGaveUp: m.results.reduce((a, r) => a + r.clientsGaveUp, 0),
    },
    hostLoad1m: loadavg()[0] ?? 0,
    watch: mergeWatch(m.results),
    server:
      serverCpuS === undefined || !m.serverAfter
        ? undefined
        : {
            cpuS: serverCpuS,
            cpuPerOpUs: okCount > 0 ? (serverCpuS * 1e6) / okCount : 0,
            peakRssBytes: m.serverAfter.peakRssBytes,
            rssBytes: m.serverAfter.rssBytes,
          },
  };
}
