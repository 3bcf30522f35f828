// The leader's expiry rounds on a hand-moved clock: expired leases become revoke
// proposals, at most half the revoke rate per round and a few at a time; a lost
// revocation is offered again; followers propose nothing.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { MemoryBackend } from '../../src/backend/memory-backend.js';
import type { LeaseCheckpointRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { ManualClock } from '../../src/lease/lease-clock.js';
import { LeaseExpiryLoop, type LeaseProposer } from '../../src/lease/lease-expiry-loop.js';
import { LEASE_PENDING_REVOKES_MAX } from '../../src/lease/lease-limits.js';
import { Lessor } from '../../src/lease/lessor.js';
import { SILENT_LOGGER } from '../../src/log/logger.js';

const backends: MemoryBackend[] = [];
after(async () => {
  for (const backend of backends) await backend.close();
});

/** A proposer that applies revocations to the lessor, as the log would, after a turn of the event loop. */
class RecordingProposer implements LeaseProposer {
  readonly revoked: bigint[] = [];
  readonly checkpoints: LeaseCheckpointRequest[] = [];
  inFlight = 0;
  inFlightMax = 0;
  dropNext = 0;

  constructor(private readonly lessor: Lessor) {}

  async revoke(id: bigint): Promise<void> {
    this.inFlight++;
    this.inFlightMax = Math.max(this.inFlightMax, this.inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    this.inFlight--;
    if (this.dropNext > 0) {
      this.dropNext--;
      throw new Error('proposal dropped');
    }
    this.lessor.revoke(id);
    this.revoked.push(id);
  }

  async checkpoint(request: LeaseCheckpointRequest): Promise<void> {
    this.checkpoints.push(request);
    for (const checkpoint of request.checkpoints) this.lessor.checkpoint(checkpoint.ID, checkpoint.remainingTTL);
  }
}

function setup(checkpointIntervalMs: number | null = null): { lessor: Lessor; clock: ManualClock; proposer: RecordingProposer; loop: LeaseExpiryLoop } {
  const backend = MemoryBackend.open();
  backends.push(backend);
  const clock = new ManualClock(0);
  const lessor = Lessor.open(backend, { forEachLeasedKey: () => undefined }, { minTtlSeconds: 2, clock, checkpointIntervalMs });
  const proposer = new RecordingProposer(lessor);
  return { lessor, clock, proposer, loop: new LeaseExpiryLoop(lessor, proposer, SILENT_LOGGER) };
}

describe('expiry rounds', () => {
  test('a round revokes at most 500 expired leases, at most 16 in flight, and the next round the rest', async () => {
    const { lessor, clock, proposer, loop } = setup();
    lessor.promote(0);
    for (let id = 1n; id <= 1200n; id++) lessor.grant(id, 5n);
    clock.advance(4_999);
    await loop.runOnce();
    assert.equal(proposer.revoked.length, 0, 'revoked before the TTL');
    clock.advance(1);
    await loop.runOnce();
    assert.equal(proposer.revoked.length, 500);
    assert.equal(proposer.inFlightMax, LEASE_PENDING_REVOKES_MAX);
    await loop.runOnce();
    await loop.runOnce();
    assert.equal(proposer.revoked.length, 1200);
    assert.equal(lessor.count, 0);
  });

  test('a revocation that did not land is proposed again after the retry interval', async () => {
    const { lessor, clock, proposer, loop } = setup();
    lessor.promote(0);
    lessor.grant(1n, 2n);
    clock.advance(2_000);
    proposer.dropNext = 1;
    await loop.runOnce();
    assert.equal(lessor.has(1n), true);
    await loop.runOnce();
    assert.deepEqual(proposer.revoked, []);
    clock.advance(3_000);
    await loop.runOnce();
    assert.deepEqual(proposer.revoked, [1n]);
  });

  test('a follower proposes nothing, however late it is', async () => {
    const { lessor, clock, proposer, loop } = setup();
    lessor.grant(1n, 2n);
    clock.advance(3_600_000);
    await loop.runOnce();
    assert.deepEqual(proposer.revoked, []);
  });

  test('with checkpoints on, a long lease’s remaining TTL is proposed every interval', async () => {
    const { lessor, clock, proposer, loop } = setup(60_000);
    lessor.promote(0);
    lessor.grant(1n, 300n);
    clock.advance(60_000);
    await loop.runOnce();
    clock.advance(60_000);
    await loop.runOnce();
    assert.deepEqual(
      proposer.checkpoints.map((request) => request.checkpoints),
      [[{ ID: 1n, remainingTTL: 240n }], [{ ID: 1n, remainingTTL: 180n }]],
    );
  });
});
