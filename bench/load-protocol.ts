// Messages between the load runner (main thread) and its load workers (worker_threads).
import type { HistogramData } from './histogram.js';
import type { Transport } from './load-connection.js';
import type { Operation } from './spec-table.js';

export interface WorkerClient {
  clientId: number;
  /** Index into the worker's own connection list. */
  connection: number;
}

export interface WorkerSetup {
  workerId: number;
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
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'done'; result: WorkerResult }
  | { type: 'error'; message: string };
