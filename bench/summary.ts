// Reduces repeated rounds to medians per server and etcd-ts/etcd ratios per metric.
import type { RunResult } from './load-runner.js';
import type { ServerKind } from './server-process.js';

export interface RoundResult {
  spec: string;
  round: number;
  server: ServerKind;
  result: RunResult | undefined;
  error: string | undefined;
}

/** The metrics compared side by side, each the median over successful rounds. */
export interface MedianSet {
  rounds: number;
  throughputPerS: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  serverCpuS: number;
  serverCpuPerOpUs: number;
  serverPeakRssMiB: number;
  generatorCpuS: number;
  generatorEluMax: number;
  hostLoad1m: number;
  /** Watch specs only (NaN otherwise): put-ack -> event latency and delivered / expected events. */
  ackP50Ms: number;
  ackP99Ms: number;
  deliveredFraction: number;
  /** The servers' own disk timings (NaN when not scraped): WAL syncs above 1 ms, mean backend commit. */
  walSyncsOver1msPct: number;
  backendCommitMeanMs: number;
}

export type MetricName = Exclude<keyof MedianSet, 'rounds'>;

const METRIC_NAMES: readonly MetricName[] = [
  'throughputPerS', 'p50Ms', 'p90Ms', 'p99Ms', 'maxMs', 'errors',
  'serverCpuS', 'serverCpuPerOpUs', 'serverPeakRssMiB', 'generatorCpuS', 'generatorEluMax', 'hostLoad1m',
  'ackP50Ms', 'ackP99Ms', 'deliveredFraction', 'walSyncsOver1msPct', 'backendCommitMeanMs',
];

export interface SpecSummary {
  spec: string;
  medians: Partial<Record<ServerKind, MedianSet>>;
  /** etcd-ts / etcd for every metric both servers have (finite, etcd's not 0). */
  ratios: Partial<Record<MetricName, number>>;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? Number.NaN;
  return sorted.length % 2 === 1 ? hi : ((sorted[mid - 1] ?? hi) + hi) / 2;
}

const MIB = 1024 * 1024;

function metricsOf(r: RunResult): Record<MetricName, number> {
  return {
    throughputPerS: r.throughputPerS,
    p50Ms: r.latency.p50Ms,
    p90Ms: r.latency.p90Ms,
    p99Ms: r.latency.p99Ms,
    maxMs: r.latency.maxMs,
    errors: r.errorCount,
    serverCpuS: r.server?.cpuS ?? Number.NaN,
    serverCpuPerOpUs: r.server?.cpuPerOpUs ?? Number.NaN,
    serverPeakRssMiB: (r.server?.peakRssBytes ?? Number.NaN) / MIB,
    generatorCpuS: r.generator.cpuS,
    generatorEluMax: r.generator.eventLoopUtilizationMax,
    hostLoad1m: r.hostLoad1m,
    ackP50Ms: r.watch?.ackToEvent.p50Ms ?? Number.NaN,
    ackP99Ms: r.watch?.ackToEvent.p99Ms ?? Number.NaN,
    deliveredFraction: r.watch?.deliveredFraction ?? Number.NaN,
    walSyncsOver1msPct: r.disk?.walSyncsOver1msPct ?? Number.NaN,
    backendCommitMeanMs: r.disk?.backendCommitMeanMs ?? Number.NaN,
  };
}

function mediansOf(results: RunResult[]): MedianSet | undefined {
  const all = results.map(metricsOf);
  const [first] = all;
  if (!first) return undefined;
  const out = { ...first };
  for (const key of METRIC_NAMES) out[key] = median(all.map((m) => m[key]));
  return { rounds: results.length, ...out };
}

export function summarize(spec: string, rounds: RoundResult[]): SpecSummary {
  const medians: Partial<Record<ServerKind, MedianSet>> = {};
  for (const kind of ['etcd', 'etcd-ts'] as const) {
    const ok = rounds.filter((r) => r.spec === spec && r.server === kind && r.result).flatMap((r) => (r.result ? [r.result] : []));
    const m = mediansOf(ok);
    if (m) medians[kind] = m;
  }
  const ratios: Partial<Record<MetricName, number>> = {};
  const base = medians.etcd;
  const ours = medians['etcd-ts'];
  if (base && ours) {
    for (const key of METRIC_NAMES) {
      const ratio = ours[key] / base[key];
      if (base[key] !== 0 && Number.isFinite(ratio)) ratios[key] = ratio;
    }
  }
  return { spec, medians, ratios };
}
