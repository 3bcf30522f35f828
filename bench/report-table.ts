// Formats run results and compare summaries as plain-text tables for the terminal.
import { cpus } from 'node:os';
import type { RunResult } from './load-runner.js';
import type { MetricName, SpecSummary } from './summary.js';

function fmt(value: number | undefined, digits = 2): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ')).join('\n');
}

export function formatRun(r: RunResult): string {
  const errors = Object.entries(r.errors).map(([k, v]) => `${k}=${v}`).join(' ') || 'none';
  const lines = [
    `spec ${r.spec}: ${r.clients} clients, ${r.conns} conns, ${r.workers} workers, ${r.transport}, ${r.mode}${r.ratePerS ? ` at ${r.ratePerS}/s` : ''}, ${fmt(r.measuredS)} s measured`,
    table([
      ['throughput/s', 'ok', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'mean ms'],
      [fmt(r.throughputPerS, 1), String(r.okCount), fmt(r.latency.p50Ms, 3), fmt(r.latency.p90Ms, 3), fmt(r.latency.p99Ms, 3), fmt(r.latency.p999Ms, 3), fmt(r.latency.maxMs, 3), fmt(r.latency.meanMs, 3)],
    ]),
    `errors: ${errors}`,
    `host load average (1 min) ${fmt(r.hostLoad1m)} on ${cpus().length} cpus`,
    `generator: cpu ${fmt(r.generator.cpuS)} s, worker event-loop utilisation max ${fmt(r.generator.eventLoopUtilizationMax)}, late starts ${r.generator.lateStarts}, clients gave up ${r.generator.clientsGaveUp}`,
  ];
  if (r.watch) {
    const w = r.watch;
    lines.push(
      `watch: throughput is delivered events/s and latency put-send->event; ${w.deliveredEvents}/${w.expectedEvents} events delivered (${fmt(w.deliveredFraction * 100, 2)}%) from ${w.putsAcked} puts`,
      `  put-ack->event p50 ${fmt(w.ackToEvent.p50Ms, 3)} p90 ${fmt(w.ackToEvent.p90Ms, 3)} p99 ${fmt(w.ackToEvent.p99Ms, 3)} max ${fmt(w.ackToEvent.maxMs, 3)} ms (${w.eventsBeforeAck} events before their ack); put p50 ${fmt(w.put.p50Ms, 3)} p99 ${fmt(w.put.p99Ms, 3)} ms`,
    );
  }
  if (r.server) {
    lines.push(`server: cpu ${fmt(r.server.cpuS)} s (${fmt(r.server.cpuPerOpUs, 1)} µs/op), peak rss ${fmt(r.server.peakRssBytes / 2 ** 20, 1)} MiB`);
  }
  return lines.join('\n');
}

const COMPARED: Array<[MetricName, string, number]> = [
  ['throughputPerS', 'throughput/s', 1],
  ['p50Ms', 'p50 ms', 3],
  ['p90Ms', 'p90 ms', 3],
  ['p99Ms', 'p99 ms', 3],
  ['maxMs', 'max ms', 3],
  ['errors', 'errors', 0],
  ['serverCpuS', 'server cpu s', 2],
  ['serverCpuPerOpUs', 'server cpu µs/op', 1],
  ['serverPeakRssMiB', 'server peak rss MiB', 1],
  ['generatorCpuS', 'generator cpu s', 2],
  ['generatorEluMax', 'generator elu max', 2],
  ['hostLoad1m', 'host load avg 1m', 2],
  ['ackP50Ms', 'put-ack->event p50 ms', 3],
  ['ackP99Ms', 'put-ack->event p99 ms', 3],
  ['deliveredFraction', 'delivered/expected', 4],
  ['walSyncsOver1msPct', 'wal syncs > 1 ms %', 2],
  ['backendCommitMeanMs', 'backend commit mean ms', 3],
];

export function formatSummary(s: SpecSummary): string {
  const etcd = s.medians.etcd;
  const ours = s.medians['etcd-ts'];
  const rows = [['spec ' + s.spec, `etcd (n=${etcd?.rounds ?? 0})`, `etcd-ts (n=${ours?.rounds ?? 0})`, 'etcd-ts/etcd']];
  for (const [key, label, digits] of COMPARED) {
    // Metrics of one kind of spec (watch delivery) are left out of the others' tables.
    if (!Number.isFinite(etcd?.[key] ?? Number.NaN) && !Number.isFinite(ours?.[key] ?? Number.NaN)) continue;
    rows.push([label, fmt(etcd?.[key], digits), fmt(ours?.[key], digits), fmt(s.ratios[key], 2)]);
  }
  return table(rows);
}
