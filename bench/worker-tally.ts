// What one load worker counts while measuring, and its conversion to the result it posts back.
import { Histogram } from './histogram.js';
import type { WorkerGo, WorkerResult, WorkerSetup } from './load-protocol.js';

export interface WatchCounters {
  delivered: number;
  ackHistogram: Histogram;
  eventsBeforeAck: number;
  putsAcked: number;
  expected: number;
  putHistogram: Histogram;
}

export interface Tally {
  histogram: Histogram;
  okCount: number;
  errors: Record<string, number>;
  /** performance.now() of the last counted completion. */
  lastEndMs: number;
  lateStarts: number;
  gaveUp: number;
  watch: WatchCounters;
}

/** A worker's clients run on its connections from `go` until its stop time. */
export type ClientsRun = (go: WorkerGo, tally: Tally) => Promise<void>;

export function newTally(): Tally {
  return {
    histogram: new Histogram(),
    okCount: 0,
    errors: {},
    lastEndMs: 0,
    lateStarts: 0,
    gaveUp: 0,
    watch: { delivered: 0, ackHistogram: new Histogram(), eventsBeforeAck: 0, putsAcked: 0, expected: 0, putHistogram: new Histogram() },
  };
}

export function countError(tally: Tally, name: string): void {
  tally.errors[name] = (tally.errors[name] ?? 0) + 1;
}

export function resultOf(setup: WorkerSetup, go: WorkerGo, tally: Tally, eventLoopUtilization: number, timeOriginMs: number): WorkerResult {
  const w = tally.watch;
  const watching = setup.role === 'watcher' || setup.role === 'watch-writer';
  return {
    workerId: setup.workerId,
    histogram: tally.histogram.toData(),
    okCount: tally.okCount,
    errors: tally.errors,
    measuredStartEpochMs: go.measureEpochMs,
    lastEndEpochMs: tally.lastEndMs > 0 ? tally.lastEndMs + timeOriginMs : go.measureEpochMs,
    eventLoopUtilization,
    lateStarts: tally.lateStarts,
    clientsGaveUp: tally.gaveUp,
    watch: watching
      ? {
          delivered: w.delivered,
          ackHistogram: w.ackHistogram.toData(),
          eventsBeforeAck: w.eventsBeforeAck,
          putsAcked: w.putsAcked,
          expected: w.expected,
          putHistogram: w.putHistogram.toData(),
        }
      : undefined,
  };
}
