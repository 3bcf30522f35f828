// A server that stops does not wait out its grace period for callers blocked in
// Lock, Campaign or Observe: they end at once with "server stopped", so their
// clients can go to another member.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { bytes, call, failure, sleep, startWithClients } from '../lease/lease-fixture.js';

/** Well below the client listener's 5 s grace period. */
const PROMPT_STOP_MS = 1500;

test('blocked Lock, Campaign and Observe calls end promptly when the server stops', async () => {
  const fixture = await startWithClients();
  const { lock, election, lease } = fixture.clients;
  try {
    const grant = async (): Promise<bigint> => (await call(lease.leaseGrant.bind(lease), { TTL: 60n, ID: 0n })).ID;
    await call(lock.lock.bind(lock), { name: bytes('sd'), lease: await grant() });
    const waitingLock = failure(call(lock.lock.bind(lock), { name: bytes('sd'), lease: await grant() }, 30_000));
    await call(election.campaign.bind(election), { name: bytes('sd-e'), lease: await grant(), value: bytes('a') });
    const waitingCampaign = failure(call(election.campaign.bind(election), { name: bytes('sd-e'), lease: await grant(), value: bytes('b') }, 30_000));
    const observer = election.observe({ name: bytes('sd-e') });
    const observerEnded = new Promise<number>((resolve) => observer.on('status', (s) => resolve(s.code)));
    observer.on('error', () => undefined);
    observer.on('data', () => undefined);
    await sleep(300);

    const stopStartedMs = Date.now();
    await fixture.running.close();
    const stopMs = Date.now() - stopStartedMs;
    assert.ok(stopMs < PROMPT_STOP_MS, `stopping took ${stopMs} ms`);
    const stopped = { code: status.UNAVAILABLE, details: 'etcdserver: server stopped' };
    assert.deepEqual(await waitingLock, stopped);
    assert.deepEqual(await waitingCampaign, stopped);
    assert.equal(await observerEnded, status.UNAVAILABLE);
  } finally {
    await fixture.close();
  }
});
