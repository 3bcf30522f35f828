// The load workers' shared clock and fixed-rate schedule: every worker converts the runner's
// epoch times to its own monotonic clock, and a paced client sends request i when it is due.
import { performance } from 'node:perf_hooks';

/** Local performance.now() value of an epoch time, so timers and latencies use one monotonic clock. */
export function localMs(epochMs: number): number {
  return epochMs - performance.timeOrigin;
}

/** The current time as epoch ms at sub-ms resolution, comparable across worker threads. */
export function epochNowMs(): number {
  return performance.timeOrigin + performance.now();
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A paced client's schedule; intervalMs 0 means closed loop. */
export interface Pacer {
  startMs: number;
  offsetMs: number;
  intervalMs: number;
  /** Where measuring starts; a backlog left by the warm-up is dropped there once. */
  measureMs: number;
  rebased: boolean;
}

/** Clients are staggered over one interval so paced requests do not arrive in bursts. */
export function pacerFor(startMs: number, measureMs: number, clientRatePerS: number | undefined, clientId: number, totalClients: number): Pacer {
  const intervalMs = clientRatePerS ? 1000 / clientRatePerS : 0;
  return { startMs, measureMs, intervalMs, offsetMs: intervalMs * (clientId / Math.max(1, totalClients)), rebased: false };
}

/**
 * The due time of request i. A client still behind when measuring starts skips the whole
 * intervals it is late by, once: requests the warm-up owed (a fresh server warming up) are not
 * sent in a burst into the measured window; lateness inside the window still counts in full.
 */
export function dueTime(pacer: Pacer, i: number, nowMs: number): number {
  const dueMs = pacer.startMs + pacer.offsetMs + i * pacer.intervalMs;
  if (pacer.rebased || nowMs < pacer.measureMs) return dueMs;
  pacer.rebased = true;
  if (dueMs >= pacer.measureMs || dueMs >= nowMs) return dueMs;
  const skipped = Math.ceil((Math.min(nowMs, pacer.measureMs) - dueMs) / pacer.intervalMs);
  pacer.offsetMs += skipped * pacer.intervalMs;
  return dueMs + skipped * pacer.intervalMs;
}

/**
 * Waits until request i is due and returns the time latency counts from: the due time when
 * paced (so a stalled server cannot hide its queue), else now. `onLate` hears of starts more
 * than 1 ms behind schedule.
 */
export async function waitTurn(pacer: Pacer, i: number, onLate: () => void): Promise<number> {
  const nowMs = performance.now();
  if (pacer.intervalMs <= 0) return nowMs;
  const dueMs = dueTime(pacer, i, nowMs);
  if (dueMs > nowMs) await sleep(dueMs - nowMs);
  else if (nowMs - dueMs > 1) onLate();
  return dueMs;
}
