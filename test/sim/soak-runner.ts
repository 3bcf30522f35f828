// Runs a range of seeds and adds up what happened: histories and operations
// checked, faults injected, anomalies with the seed that replays each.

import { FaultCounts } from './fault-counts.js';
import { runSimulation, type SimReport } from './cluster-sim.js';
import type { SimVariant } from './sim-options.js';

/** Anomalies kept in a summary with their details (each narrowed down by a replay); the rest are only counted. */
const ANOMALIES_KEPT_MAX = 10;
/** Seeds of anomalies listed in a summary. */
const ANOMALY_SEEDS_KEPT_MAX = 1_000;

export interface SoakOptions {
  readonly startSeed: number;
  readonly seeds: number;
  readonly variant: SimVariant;
  readonly faultPhaseTicks?: number;
  /** Stop at the first anomaly (to show that a broken variant is caught, and how fast). */
  readonly stopAtFirstAnomaly?: boolean;
  readonly explainAnomalies?: boolean;
  readonly onReport?: (report: SimReport) => void;
}

export interface SoakAnomaly {
  readonly seed: number;
  readonly kind: 'not-linearizable' | 'raft-safety';
  readonly detail: string;
}

export interface SoakSummary {
  seedsRun: number;
  historiesChecked: number;
  opsChecked: number;
  /** Operations that never answered (timed out), checked as "maybe took effect". */
  opsPending: number;
  readonly faults: FaultCounts;
  anomalyCount: number;
  readonly anomalies: SoakAnomaly[];
  readonly anomalySeeds: number[];
  /** Seeds whose history was too hard to decide within the checker's budget. */
  readonly unknownSeeds: number[];
  eventsProcessed: number;
  simulatedNs: number;
}

export function runSoak(o: SoakOptions): SoakSummary {
  const summary: SoakSummary = {
    seedsRun: 0, historiesChecked: 0, opsChecked: 0, opsPending: 0, faults: new FaultCounts(),
    anomalyCount: 0, anomalies: [], anomalySeeds: [], unknownSeeds: [], eventsProcessed: 0, simulatedNs: 0,
  };
  for (let seed = o.startSeed; seed < o.startSeed + o.seeds; seed++) {
    const options = {
      seed, variant: o.variant, explainAnomalies: o.explainAnomalies ?? false,
      ...(o.faultPhaseTicks === undefined ? {} : { faultPhaseTicks: o.faultPhaseTicks }),
    };
    let report = runSimulation(options);
    // Narrowing a failure costs extra searches: only for the ones a summary shows.
    if (report.anomaly && summary.anomalies.length < ANOMALIES_KEPT_MAX && !options.explainAnomalies) {
      report = runSimulation({ ...options, explainAnomalies: true });
    }
    o.onReport?.(report);
    add(summary, report);
    if (report.anomaly && o.stopAtFirstAnomaly === true) break;
  }
  return summary;
}

function add(s: SoakSummary, r: SimReport): void {
  s.seedsRun++;
  s.faults.addAll(r.faults);
  s.eventsProcessed += r.eventsProcessed;
  s.simulatedNs += r.simulatedNs;
  if (r.check.ok !== 'unknown') {
    s.historiesChecked++;
    s.opsChecked += r.history.length;
    s.opsPending += r.history.filter((op) => op.returnTimeNs === null).length;
  } else {
    s.unknownSeeds.push(r.seed);
  }
  if (!r.anomaly) return;
  s.anomalyCount++;
  if (s.anomalySeeds.length < ANOMALY_SEEDS_KEPT_MAX) s.anomalySeeds.push(r.seed);
  if (s.anomalies.length >= ANOMALIES_KEPT_MAX) return;
  if (r.violations.length > 0) {
    s.anomalies.push({ seed: r.seed, kind: 'raft-safety', detail: r.violations.join('\n') });
  } else if (r.check.ok === false) {
    s.anomalies.push({ seed: r.seed, kind: 'not-linearizable', detail: `key ${r.check.key}:\n${r.check.explanation.text}` });
  }
}
