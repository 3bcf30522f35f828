// After a leader change every lease is refreshed at once, so leases granted over a
// long time can pile up to expire in the same second. As etcd does, such piles are
// spread out so revocation never needs more than three quarters of the revoke rate.
import { LEASE_REVOKE_PER_SECOND_MAX } from './lease-limits.js';

export interface ExpiringLease {
  readonly expiryMs: number;
}

/** Below this many leases no second can hold more expiries than the revoke rate. */
const PILE_UP_POSSIBLE_LEASES_MIN = LEASE_REVOKE_PER_SECOND_MAX;
const WINDOW_MS = 1000;
const TARGET_EXPIRIES_PER_WINDOW = Math.floor((3 * LEASE_REVOKE_PER_SECOND_MAX) / 4);

/** The leases to push back, each with how far beyond its base expiry. */
export function spreadPiledUpExpiries<T extends ExpiringLease>(
  leases: readonly T[],
  nowMs: number,
): Array<{ lease: T; delayMs: number }> {
  if (leases.length < PILE_UP_POSSIBLE_LEASES_MIN) return [];
  const sorted = [...leases].sort((a, b) => a.expiryMs - b.expiryMs);
  const delays: Array<{ lease: T; delayMs: number }> = [];
  let baseWindowMs = sorted[0]!.expiryMs - nowMs;
  let nextWindowMs = baseWindowMs + WINDOW_MS;
  let expiries = 0;
  for (const lease of sorted) {
    const remainingMs = lease.expiryMs - nowMs;
    if (remainingMs > nextWindowMs) {
      baseWindowMs = remainingMs;
      nextWindowMs = baseWindowMs + WINDOW_MS;
      expiries = 1;
      continue;
    }
    expiries++;
    if (expiries <= TARGET_EXPIRIES_PER_WINDOW) continue;
    // A lease already later than the window's base needs only the rest of the delay.
    const delayMs = (WINDOW_MS * expiries) / TARGET_EXPIRIES_PER_WINDOW - (remainingMs - baseWindowMs);
    nextWindowMs = baseWindowMs + delayMs;
    delays.push({ lease, delayMs });
  }
  return delays;
}
