// The bounds the scale check holds a server to, shared by `npm run bench:scale` and the
// test under test/scale/; each broken bound is one line of the report.
import type { FloodResult } from './scale-flood.js';
import type { RangeResult } from './scale-range.js';
import type { WatchResult } from './scale-watch.js';

export interface ScaleLimits {
  /** Peak RSS growth during one full range over the reply's encoded size. */
  readonly rangeGrowthRatioMax: number;
  /** Peak RSS growth during the flood over the baseline. */
  readonly floodGrowthMbMax: number;
  /**
   * RSS may still rise from the flood's midpoint to its end by this much, or this share of
   * the growth so far: V8 grows its old generation in steps (its limit follows the live set),
   * so a bounded server can still take a step late in a 20 s window.
   */
  readonly floodLateRiseMbMax: number;
  readonly floodLateRiseShareMax: number;
  readonly politeP99MsMax: number;
  /**
   * Once the flood connections are gone RSS must not keep rising: at most this many MB over
   * the flood's peak. (V8 keeps freed memory until its next major GC, which an idle server
   * may not run for a long time, so falling back to the baseline is reported, not required.)
   */
  readonly afterOverPeakMbMax: number;
  readonly watchGrowthMbMax: number;
}

export const DEFAULT_LIMITS: ScaleLimits = {
  rangeGrowthRatioMax: 2.5,
  floodGrowthMbMax: 512,
  floodLateRiseMbMax: 96,
  floodLateRiseShareMax: 0.5,
  politeP99MsMax: 2000,
  afterOverPeakMbMax: 32,
  watchGrowthMbMax: 128,
};

export function rangeViolations(result: RangeResult, keys: number, limits: ScaleLimits): string[] {
  const out: string[] = [];
  if (result.loadErrors > 0) out.push(`load: ${result.loadErrors} txns failed`);
  // The first range after the load also faults in the store's mapped pages and compiles
  // the read path (both servers: about x2.5-2.7 at 100,000 keys); the bound is on the ranges after it.
  for (const [i, round] of result.full.entries()) {
    if (i === 0 && result.full.length > 1) continue;
    if (round.ratio > limits.rangeGrowthRatioMax) {
      out.push(`range round ${i + 1}: peak RSS grew ${round.peakGrowthMb.toFixed(1)} MB for a ${round.replyMb.toFixed(1)} MB reply (x${round.ratio.toFixed(2)} > x${limits.rangeGrowthRatioMax})`);
    }
  }
  if (result.paged.keys !== keys) out.push(`paged range saw ${result.paged.keys} keys, expected ${keys}`);
  return out;
}

export function floodViolations(result: FloodResult, limits: ScaleLimits): string[] {
  const out: string[] = [];
  const growth = result.peakMb - result.baseMb;
  if (growth > limits.floodGrowthMbMax) out.push(`flood: peak RSS grew ${growth.toFixed(0)} MB (> ${limits.floodGrowthMbMax} MB)`);
  const half = result.checkpoints[1]?.rssMb ?? Number.NaN;
  const end = result.checkpoints[2]?.rssMb ?? Number.NaN;
  const riseAllowed = Math.max(limits.floodLateRiseMbMax, limits.floodLateRiseShareMax * (half - result.baseMb));
  if (!(end - half <= riseAllowed)) out.push(`flood: RSS still rising in the second half: ${half.toFixed(0)} -> ${end.toFixed(0)} MB (allowed +${riseAllowed.toFixed(0)} MB)`);
  if (result.politeErrors > 0) out.push(`flood: the polite client had ${result.politeErrors} failed calls of ${result.politeCalls}`);
  if (!(result.politeP99Ms <= limits.politeP99MsMax)) out.push(`flood: polite p99 ${result.politeP99Ms.toFixed(0)} ms (> ${limits.politeP99MsMax} ms)`);
  if (!result.politeAfterOk) out.push('flood: the server did not answer after the flood');
  if (result.afterMb - result.peakMb > limits.afterOverPeakMbMax) {
    out.push(`flood: RSS kept rising after the flood clients left: peak ${result.peakMb.toFixed(0)} MB, then ${result.afterMb.toFixed(0)} MB`);
  }
  return out;
}

export function watchViolations(result: WatchResult, events: number, limits: ScaleLimits): string[] {
  const out: string[] = [];
  if (result.writeErrors > 0) out.push(`watch: ${result.writeErrors} txns failed`);
  if (result.delivered < events) out.push(`watch: the reading watcher got ${result.delivered} of ${events} events`);
  const growth = result.peakMb - result.baseMb;
  if (growth > limits.watchGrowthMbMax) out.push(`watch: peak RSS grew ${growth.toFixed(0)} MB with a stalled watcher (> ${limits.watchGrowthMbMax} MB)`);
  return out;
}
