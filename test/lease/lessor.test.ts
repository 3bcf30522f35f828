// The lessor on a hand-moved clock: TTL rules, when leases expire (never early),
// renewal, what a new leader grants every lease, and what survives a restart.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { MemoryBackend } from '../../src/backend/memory-backend.js';
import { isEtcdError } from '../../src/errors/etcd-error.js';
import { ManualClock } from '../../src/lease/lease-clock.js';
import { minLeaseTtlSeconds } from '../../src/lease/lease-limits.js';
import { leaseKey as leaseKeyOf } from '../../src/lease/lease-record.js';
import { Lessor, type LeasedKeySource } from '../../src/lease/lessor.js';

const MIN_TTL_SECONDS = 2;
const NO_KEYS: LeasedKeySource = { forEachLeasedKey: () => undefined };

let backends: MemoryBackend[] = [];
afterEach(async () => {
  for (const backend of backends) await backend.close();
  backends = [];
});

function setup(options: { checkpointIntervalMs?: number; keys?: LeasedKeySource } = {}): { lessor: Lessor; clock: ManualClock; backend: MemoryBackend } {
  const backend = MemoryBackend.open();
  backends.push(backend);
  const clock = new ManualClock(1_000_000);
  const lessor = Lessor.open(backend, options.keys ?? NO_KEYS, {
    minTtlSeconds: MIN_TTL_SECONDS,
    clock,
    checkpointIntervalMs: options.checkpointIntervalMs ?? null,
  });
  return { lessor, clock, backend };
}

function reopen(backend: MemoryBackend, clock: ManualClock, keys: LeasedKeySource = NO_KEYS): Lessor {
  return Lessor.open(backend, keys, { minTtlSeconds: MIN_TTL_SECONDS, clock, checkpointIntervalMs: null });
}

function errorCode(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (isEtcdError(error)) return error.code;
    throw error;
  }
  return 'no error';
}

describe('granting', () => {
  test('the minimum TTL is one and a half election timeouts, rounded up to seconds', () => {
    assert.equal(minLeaseTtlSeconds(1000, 100), 2);
    assert.equal(minLeaseTtlSeconds(5000, 250), 8);
    assert.equal(minLeaseTtlSeconds(3000, 1000), 4);
  });

  test('a TTL below the minimum is raised to it; a larger one is kept', () => {
    const { lessor } = setup();
    assert.equal(lessor.grant(1n, 1n).ttlSeconds, MIN_TTL_SECONDS);
    assert.equal(lessor.grant(2n, -5n).ttlSeconds, MIN_TTL_SECONDS);
    assert.equal(lessor.grant(3n, 30n).ttlSeconds, 30);
  });

  test('TTL above 9,000,000,000 s, a taken ID and ID 0 are refused', () => {
    const { lessor } = setup();
    assert.equal(lessor.grant(5n, 9_000_000_000n).ttlSeconds, 9_000_000_000);
    assert.equal(errorCode(() => lessor.grant(6n, 9_000_000_001n)), 'LeaseTTLTooLarge');
    assert.equal(errorCode(() => lessor.grant(5n, 10n)), 'LeaseExist');
    assert.equal(errorCode(() => lessor.grant(0n, 10n)), 'LeaseNotFound');
    assert.equal(lessor.has(6n), false);
  });
});

describe('expiry on the leader', () => {
  test('a lease is never offered for revocation before its TTL has passed, and is once it has', () => {
    const { lessor, clock } = setup();
    lessor.promote(0);
    lessor.grant(7n, 10n);
    clock.advance(9_999);
    assert.deepEqual(lessor.findExpired(100), []);
    clock.advance(1);
    assert.deepEqual(lessor.findExpired(100), [7n]);
  });

  test('renewal restarts the TTL from the moment of renewal', async () => {
    const { lessor, clock } = setup();
    lessor.promote(0);
    lessor.grant(8n, 10n);
    clock.advance(8_000);
    assert.equal(await lessor.renew(8n), 10);
    clock.advance(9_000);
    assert.deepEqual(lessor.findExpired(100), []);
    assert.equal(lessor.timeToLive(8n, false)?.remainingSeconds, 1);
    clock.advance(1_000);
    assert.deepEqual(lessor.findExpired(100), [8n]);
  });

  test('an expired lease offered once is offered again only after the retry interval', () => {
    const { lessor, clock } = setup();
    lessor.promote(0);
    lessor.grant(9n, 2n);
    clock.advance(2_000);
    assert.deepEqual(lessor.findExpired(100), [9n]);
    assert.deepEqual(lessor.findExpired(100), []);
    clock.advance(3_000);
    assert.deepEqual(lessor.findExpired(100), [9n]);
  });

  test('each round offers at most the limit, oldest expiry first', () => {
    const { lessor, clock } = setup();
    lessor.promote(0);
    for (let id = 1n; id <= 5n; id++) {
      lessor.grant(id, 10n);
      clock.advance(1);
    }
    clock.advance(20_000);
    assert.deepEqual(lessor.findExpired(3), [1n, 2n, 3n]);
    assert.deepEqual(lessor.findExpired(3), [4n, 5n]);
  });

  test('renewing an expired lease waits for its revocation and then finds no lease', async () => {
    const { lessor, clock } = setup();
    lessor.promote(0);
    lessor.grant(10n, 2n);
    clock.advance(2_500);
    const renewal = lessor.renew(10n);
    lessor.revoke(10n);
    await assert.rejects(renewal, { code: 'LeaseNotFound' });
  });

  test('a follower neither expires nor renews leases', async () => {
    const { lessor, clock } = setup();
    lessor.grant(11n, 2n);
    clock.advance(60_000);
    assert.deepEqual(lessor.findExpired(100), []);
    await assert.rejects(lessor.renew(11n), { code: 'NotLeader' });
  });
});

describe('leadership changes', () => {
  test('a new leader gives every lease its full TTL plus the extension, counted from promotion', () => {
    const { lessor, clock } = setup();
    lessor.promote(0);
    lessor.grant(12n, 10n);
    clock.advance(9_000);
    lessor.demote();
    clock.advance(30_000);
    lessor.promote(1_000);
    clock.advance(10_999);
    assert.deepEqual(lessor.findExpired(100), []);
    clock.advance(1);
    assert.deepEqual(lessor.findExpired(100), [12n]);
  });

  test('thousands of leases due in the same second are spread so at most 750 expire per second', () => {
    const { lessor, clock } = setup();
    const count = 3000;
    for (let id = 1; id <= count; id++) lessor.grant(BigInt(id), 10n);
    lessor.promote(0);
    const perSecond: number[] = [];
    for (let second = 0; second < 20; second++) {
      clock.advance(1_000);
      const expired = lessor.findExpired(count);
      for (const id of expired) lessor.revoke(id);
      perSecond.push(expired.length);
    }
    assert.equal(perSecond.reduce((a, b) => a + b, 0), count);
    assert.deepEqual(perSecond.slice(0, 9), [0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.ok(perSecond.every((n) => n <= 751), `expiries per second: ${perSecond.join(',')}`);
  });
});

describe('persistence', () => {
  test('leases, their TTLs and attached keys come back after a restart, with no expiry until promotion', () => {
    const { lessor, clock, backend } = setup();
    lessor.grant(20n, 30n);
    lessor.grant(-21n, 5n);
    lessor.revoke(-21n);
    lessor.grant(22n, 1n);
    const keys: LeasedKeySource = {
      forEachLeasedKey: (visit) => {
        visit(Buffer.from('a'), 20n);
        visit(Buffer.from('b'), 20n);
        visit(Buffer.from('orphan'), 99n);
      },
    };
    const restarted = reopen(backend, clock, keys);
    assert.deepEqual(restarted.list().sort(), [20n, 22n]);
    assert.equal(restarted.lookup(20n)?.ttlSeconds, 30);
    assert.equal(restarted.lookup(22n)?.ttlSeconds, MIN_TTL_SECONDS);
    assert.deepEqual(restarted.timeToLive(20n, true)?.keys.map(String), ['a', 'b']);
    clock.advance(3_600_000);
    assert.deepEqual(restarted.findExpired(100), []);
  });

  test('recovering from a replaced backend forgets leases it does not hold and gives the rest a full TTL', () => {
    const { lessor, clock, backend } = setup();
    lessor.promote(0);
    lessor.grant(50n, 10n);
    const other = MemoryBackend.open();
    backends.push(other);
    const source = reopen(other, clock);
    source.grant(51n, 20n);
    for (const entry of other.range('lease', Buffer.alloc(0), undefined, 0)) backend.put('lease', entry.key, entry.value);
    backend.delete('lease', leaseKeyOf(50n));
    clock.advance(15_000);
    lessor.recover({ forEachLeasedKey: (visit) => visit(Buffer.from('k'), 51n) }, 1_000);
    assert.deepEqual(lessor.list(), [51n]);
    assert.deepEqual(lessor.timeToLive(51n, true)?.keys.map(String), ['k']);
    assert.equal(lessor.timeToLive(51n, false)?.remainingSeconds, 21);
  });

  test('revoking returns the attached keys in byte order and forgets detached ones', () => {
    const { lessor } = setup();
    lessor.grant(30n, 10n);
    for (const key of ['m', 'b', 'z', 'a']) lessor.attach(30n, Buffer.from(key));
    lessor.detach(30n, Buffer.from('z'));
    assert.deepEqual(lessor.revoke(30n).map(String), ['a', 'b', 'm']);
    assert.equal(errorCode(() => lessor.revoke(30n)), 'LeaseNotFound');
  });

  test('a checkpointed remaining TTL is what a new leader grants after a restart', () => {
    const { lessor, clock, backend } = setup({ checkpointIntervalMs: 5_000 });
    lessor.promote(0);
    lessor.grant(40n, 60n);
    clock.advance(20_000);
    const due = lessor.findDueCheckpoints(10);
    assert.deepEqual(due, [{ ID: 40n, remainingTTL: 40n }]);
    lessor.checkpoint(40n, 40n);
    const restarted = reopen(backend, clock);
    restarted.promote(0);
    clock.advance(39_999);
    assert.deepEqual(restarted.findExpired(10), []);
    clock.advance(1);
    assert.deepEqual(restarted.findExpired(10), [40n]);
  });
});
