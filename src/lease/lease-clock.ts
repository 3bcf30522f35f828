// The time source the lessor reads: injected so tests (and a simulator) can move
// time by hand; the default is monotonic, so a wall-clock jump never expires leases.
import { performance } from 'node:perf_hooks';

export interface LeaseClock {
  /** Milliseconds on a clock that never goes backwards. */
  nowMs(): number;
}

export const MONOTONIC_CLOCK: LeaseClock = { nowMs: () => performance.now() };

/** A clock that moves only when told to. */
export class ManualClock implements LeaseClock {
  constructor(private currentMs = 0) {}

  nowMs(): number {
    return this.currentMs;
  }

  advance(ms: number): void {
    this.currentMs += ms;
  }
}
