// Messages between the load runner (main thread) and its load workers (worker_threads).
import type { HistogramData } from './histogram.js';
import type { Transport } from './load-connection.js';
import type { Operation } from './spec-table.js';

export interface WorkerClient {
  clientId: number;
  /** Index into the worker's own connection list. */
  connection: number;
}

/** What a worker's clients do: unary requests, watch (watchers or the paced writers), keep-alives. */
export type WorkerRole = 'unary' | 'watcher' | 'watch-writer' | 'lease-keep-alive';

export interface WorkerSetup {
  workerId: number;
  role: WorkerRole;
  transport: Transport;
  /** One endpoint per connection of this worker. */
  endpoints: string[];
  firstConnectionIndex: number;
  clients: WorkerClient[];
  totalClients: number;
  operation: Operation;
  valueBytes: number;
  keySpace: number;
  /** Closed loop when undefined; otherwise each client is paced at this many requests per second. */
  clientRatePerS: number | undefined;
  /** Requests each client sends after warm-up in count mode; undefined in duration mode. */
  clientQuota: number[] | undefined;
  /** Watch loads: where writers publish each put's revision and ack time for the watchers. */
  ackRing: SharedArrayBuffer | undefined;
  /** Watch loads: watchers in the whole spec (a writer needs it to count expected events). */
  watchers: number;
  /** Lease keep-alive loads: the pre-granted lease ids; client c renews ids c, c + clients, ... */
  leaseIds: bigint[] | undefined;
}

/** What the watch roles count besides the main histogram (send -> event for watchers). */
export interface WatchTally {
  /** Watchers: events whose put was due in the measured window. */
  delivered: number;
  /** Watchers: put-ack -> event in µs (0 when the event arrived before the writer saw the ack). */
  ackHistogram: HistogramData;
  eventsBeforeAck: number;
  /** Writers: puts due in the measured window and acknowledged. */
  putsAcked: number;
  /** Writers: events those puts should produce (the watchers of each put's key). */
  expected: number;
  /** Writers: put latency (due -> ack) in µs. */
  putHistogram: HistogramData;
}

/** Absolute wall-clock times (epoch ms) so that all workers share one timeline. */
export interface WorkerGo {
  type: 'go';
  startEpochMs: number;
  measureEpochMs: number;
  stopEpochMs: number;
}

export interface WorkerResult {
  workerId: number;
  histogram: HistogramData;
  okCount: number;
  errors: Record<string, number>;
  measuredStartEpochMs: number;
  lastEndEpochMs: number;
  /** Event-loop utilisation of the worker while measuring: near 1 means the generator saturated. */
  eventLoopUtilization: number;
  lateStarts: number;
  /** Clients that stopped early after too many failures in a row. */
  clientsGaveUp: number;
  watch: WatchTally | undefined;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'done'; result: WorkerResult }
  | { type: 'error'; message: string };
