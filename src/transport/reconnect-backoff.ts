// Exponential reconnect delays with jitter, so members that lost each other at the
// same moment do not redial in lockstep. Randomness is injected for replayable tests.
import { RECONNECT_DELAY_MS_MAX, RECONNECT_DELAY_MS_MIN } from './transport-limits.js';

export class ReconnectBackoff {
  private delayMs = RECONNECT_DELAY_MS_MIN;

  /** `random` is uniform in [0, 1). */
  constructor(private readonly random: () => number) {}

  /** The next delay: between half and all of the current step, which then doubles. */
  next(): number {
    const stepMs = this.delayMs;
    this.delayMs = Math.min(this.delayMs * 2, RECONNECT_DELAY_MS_MAX);
    return Math.round(stepMs / 2 + (stepMs / 2) * this.random());
  }

  /** A connection succeeded: the next failure starts from the shortest delay again. */
  reset(): void {
    this.delayMs = RECONNECT_DELAY_MS_MIN;
  }
}
