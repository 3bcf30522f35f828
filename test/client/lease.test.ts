// Leases through the client: grant, attach keys, time-to-live, list, revoke, and the
// keep-alive handle that keeps a short lease alive and reports its loss.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { LeaseLostError, LeaseNotFoundError } from '../../src/client/client-errors.js';
import { delay, missingFeature, openFixture, type ClientFixture } from './fixture.js';

let fx: ClientFixture;
let skipReason: string | undefined;
before(async () => {
  fx = await openFixture();
  skipReason = await missingFeature(fx.etcd, 'lease');
});
after(async () => {
  await fx?.close();
});

describe('lease', () => {
  test('a granted lease holds keys, reports its TTL and keys, and revoking deletes them', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const p = fx.prefix('lease');
    const lease = await fx.etcd.lease.grant(30);
    assert.ok(lease.id > 0n);
    assert.equal(lease.ttlSeconds, 30n);
    await fx.etcd.put(`${p}a`, 'v', { lease: lease.id });
    assert.equal((await fx.etcd.get(`${p}a`))?.lease, lease.id);
    const ttl = await fx.etcd.lease.timeToLive(lease.id, { keys: true });
    assert.equal(ttl.grantedTtlSeconds, 30n);
    assert.ok(ttl.ttlSeconds > 0n && ttl.ttlSeconds <= 30n);
    assert.deepEqual(ttl.keys.map(String), [`${p}a`]);
    assert.ok((await fx.etcd.lease.leases()).includes(lease.id));
    await fx.etcd.lease.revoke(lease.id);
    assert.equal(await fx.etcd.get(`${p}a`), undefined);
    assert.equal((await fx.etcd.lease.timeToLive(lease.id)).ttlSeconds, -1n);
  });

  test('a put on a missing lease is LeaseNotFoundError', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    await assert.rejects(fx.etcd.put(fx.prefix('lease-missing'), 'v', { lease: 0x7777 }), LeaseNotFoundError);
  });

  test('keep-alive holds a 2s lease past its TTL; after close it expires', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const p = fx.prefix('lease-ka');
    const lease = await fx.etcd.lease.grant(2);
    await fx.etcd.put(`${p}k`, 'alive', { lease: lease.id });
    const keepAlive = fx.etcd.lease.keepAlive(lease.id, lease.ttlSeconds);
    await delay(3_500);
    assert.equal(keepAlive.isLost, false);
    assert.equal(await fx.etcd.getString(`${p}k`), 'alive');
    await keepAlive.close();
    await delay(3_500);
    assert.equal(await fx.etcd.get(`${p}k`), undefined);
  });

  test('revoking a kept-alive lease is reported as lost, through the promise and the signal', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const lease = await fx.etcd.lease.grant(2);
    const keepAlive = fx.etcd.lease.keepAlive(lease.id, lease.ttlSeconds);
    await fx.etcd.lease.revoke(lease.id);
    const lost = await Promise.race([keepAlive.lost, delay(5_000).then(() => undefined)]);
    assert.ok(lost instanceof LeaseLostError);
    assert.equal(lost.leaseId, lease.id);
    assert.equal(keepAlive.signal.aborted, true);
    await keepAlive.close();
  });
});
