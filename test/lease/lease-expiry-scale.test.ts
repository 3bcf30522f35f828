// Mass expiry: thousands of leases, each holding one key, all run out close
// together. None may go early; all must go within the revoke rate's bound; and
// writes keep being served while the leader revokes. Prints the expiry lag.
// LEASE_SCALE_COUNT overrides the count (100,000 was run once, outside the suite).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Event_EventType } from '../../src/generated/mvccpb/kv.js';
import { LEASE_REVOKE_PER_SECOND_MAX } from '../../src/lease/lease-limits.js';
import { bytes, sleep, startWithClients } from './lease-fixture.js';

const LEASE_COUNT = Number(process.env['LEASE_SCALE_COUNT'] ?? 10_000);
const TTL_SECONDS = 4;
const GRANTS_IN_FLIGHT_MAX = 256;
/** Revocation runs at the revoke rate; allow that plus slack for a slow shared machine. */
const ALL_GONE_BOUND_MS = (LEASE_COUNT / LEASE_REVOKE_PER_SECOND_MAX) * 1000 * 1.5 + 5000;

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

test(`${LEASE_COUNT} leases expire: none early, all within the revoke-rate bound`, { timeout: 600_000 }, async () => {
  const fixture = await startWithClients({ dataDir: 'temp' });
  const server = fixture.running.server;
  try {
    const grantedAtMs = new Map<string, number>();
    const lagsMs: number[] = [];
    let early = 0;
    server.onWrite((result) => {
      for (const event of result.events) {
        if (event.type !== Event_EventType.DELETE || event.kv === undefined) continue;
        const granted = grantedAtMs.get(event.kv.key.toString());
        if (granted === undefined) continue;
        const lagMs = Date.now() - (granted + TTL_SECONDS * 1000);
        if (lagMs < 0) early++;
        lagsMs.push(lagMs);
      }
    });

    const startedMs = Date.now();
    let next = 0;
    const grantOne = async (): Promise<void> => {
      while (next < LEASE_COUNT) {
        const key = `scale/${next++}`;
        // The clock starts before the grant is proposed, so "early" is judged conservatively.
        const beforeMs = Date.now();
        const { ID } = await server.leaseGrant({ ID: 0n, TTL: BigInt(TTL_SECONDS) });
        await server.put({ key: bytes(key), value: bytes('x'), lease: ID, prevKv: false, ignoreValue: false, ignoreLease: false });
        grantedAtMs.set(key, beforeMs);
      }
    };
    await Promise.all(Array.from({ length: GRANTS_IN_FLIGHT_MAX }, grantOne));
    const grantMs = Date.now() - startedMs;

    // A write during the mass expiry must still be answered promptly.
    await sleep(TTL_SECONDS * 1000);
    const writeStartMs = Date.now();
    await server.put({ key: bytes('other'), value: bytes('y'), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false });
    const writeDuringExpiryMs = Date.now() - writeStartMs;

    const deadlineMs = Date.now() + ALL_GONE_BOUND_MS;
    while (lagsMs.length < LEASE_COUNT && Date.now() < deadlineMs) await sleep(200);
    const sorted = [...lagsMs].sort((a, b) => a - b);
    const summary = {
      leases: LEASE_COUNT,
      grantMs,
      revoked: lagsMs.length,
      lagMsP50: percentile(sorted, 0.5),
      lagMsP99: percentile(sorted, 0.99),
      lagMsMax: sorted[sorted.length - 1],
      writeDuringExpiryMs,
      leasesLeft: server.lessor.count,
    };
    console.log(`lease expiry scale: ${JSON.stringify(summary)}`);
    assert.equal(early, 0, 'some leases were revoked before their TTL');
    assert.equal(lagsMs.length, LEASE_COUNT, 'not every lease was revoked in time');
    assert.equal(server.lessor.count, 0);
    assert.ok(writeDuringExpiryMs < 1000, `a write took ${writeDuringExpiryMs} ms during the mass expiry`);
  } finally {
    await fixture.close();
  }
});
