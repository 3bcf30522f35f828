// The simulated network between members: per-message latency (which reorders),
// loss, duplication, delay spikes, and partitions that cut links both ways.

import type { MemberId } from '../../src/raft/types.js';
import type { SeededRandom } from '../../src/util/seeded-random.js';
import type { FaultCounts } from './fault-counts.js';

export interface NetworkFaults {
  /** Probability in [0, 1) that a message is lost. */
  readonly dropRate: number;
  /** Probability that a message arrives twice. */
  readonly duplicateRate: number;
  /** Probability that a message is held back by up to delaySpikeNsMax. */
  readonly delayRate: number;
  readonly latencyNsMin: number;
  readonly latencyNsMax: number;
  readonly delaySpikeNsMax: number;
}

export const CALM_NETWORK: NetworkFaults = {
  dropRate: 0, duplicateRate: 0, delayRate: 0,
  latencyNsMin: 200_000, latencyNsMax: 2_000_000, delaySpikeNsMax: 0,
};

export class SimNetwork {
  private readonly cutLinks = new Set<string>();

  constructor(
    private readonly random: SeededRandom,
    public faults: NetworkFaults,
    private readonly counts: FaultCounts,
  ) {}

  isCut(from: MemberId, to: MemberId): boolean {
    return this.cutLinks.has(`${from}->${to}`);
  }

  /** Only members of the same group can talk. */
  partition(groups: readonly (readonly MemberId[])[]): void {
    for (const g of groups) for (const h of groups) {
      if (g === h) continue;
      for (const a of g) for (const b of h) this.cutLinks.add(`${a}->${b}`);
    }
  }

  heal(): void {
    this.cutLinks.clear();
  }

  get partitioned(): boolean {
    return this.cutLinks.size > 0;
  }

  /**
   * When each copy of a message sent now arrives, in ns from now: none when it
   * is lost, two when duplicated. A cut link is checked again on arrival.
   */
  plan(from: MemberId, to: MemberId): number[] {
    const f = this.faults;
    if (this.isCut(from, to)) return [];
    if (this.random.next() < f.dropRate) {
      this.counts.add('message-drop');
      return [];
    }
    const copies = this.random.next() < f.duplicateRate ? 2 : 1;
    if (copies === 2) this.counts.add('message-duplicate');
    const delays: number[] = [];
    for (let c = 0; c < copies; c++) {
      let latency = f.latencyNsMin + this.random.next() * (f.latencyNsMax - f.latencyNsMin);
      if (this.random.next() < f.delayRate) {
        latency += this.random.next() * f.delaySpikeNsMax;
        this.counts.add('message-delay');
      }
      delays.push(latency);
    }
    return delays;
  }
}
