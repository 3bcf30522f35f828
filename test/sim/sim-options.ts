// What one simulated run looks like, derived from its seed so that the seed
// alone replays it, plus the deliberately broken server variants.

import type { SeededRandom } from '../../src/util/seeded-random.js';
import type { NetworkFaults } from './sim-network.js';

/**
 * 'correct' serves reads through ReadIndex and answers writes once applied.
 * The others are bugs the checker must catch.
 */
export type SimVariant =
  /** Every member answers reads from its own state at once (no ReadIndex). */
  | 'follower-local-reads'
  /** A member that believes it leads answers reads locally, without confirming it still does. */
  | 'leader-local-reads'
  /** Writes are acknowledged when proposed, before they commit. */
  | 'ack-before-commit'
  | 'correct';

export const SIM_VARIANTS: readonly SimVariant[] = [
  'correct', 'follower-local-reads', 'leader-local-reads', 'ack-before-commit',
];

/** One raft tick of simulated time. */
export const TICK_NS = 10_000_000;
/** Ticks of the fault phase when a caller does not say. */
export const DEFAULT_FAULT_PHASE_TICKS = 300;

export interface SimOptions {
  readonly seed: number;
  readonly variant?: SimVariant;
  /** Length of the fault phase, in ticks. */
  readonly faultPhaseTicks?: number;
  /** Narrow a non-linearizable history down to its shortest failing prefix (default true; costs time). */
  readonly explainAnomalies?: boolean;
}

export interface SimShape {
  readonly memberCount: number;
  readonly clientCount: number;
  readonly keys: readonly string[];
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly network: NetworkFaults;
  /** Largest relative deviation of a member's tick interval from TICK_NS. */
  readonly clockSkewMax: number;
  /** Chance, at each nemesis turn, that a fault happens. */
  readonly nemesisRate: number;
}

export function shapeFromSeed(random: SeededRandom): SimShape {
  const memberCount = random.next() < 0.35 ? 5 : 3;
  const keyCount = random.int(1, 4);
  return {
    memberCount,
    clientCount: random.int(2, 5),
    keys: Array.from({ length: keyCount }, (_, i) => `k${i}`),
    preVote: random.next() < 0.7,
    checkQuorum: random.next() < 0.8,
    network: {
      dropRate: random.next() * 0.08,
      duplicateRate: random.next() * 0.03,
      delayRate: random.next() * 0.05,
      latencyNsMin: 100_000,
      latencyNsMax: random.int(1, 5) * 1_000_000,
      delaySpikeNsMax: 80_000_000,
    },
    clockSkewMax: random.next() * 0.2,
    nemesisRate: 0.15 + random.next() * 0.35,
  };
}
