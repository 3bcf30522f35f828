// Proposals waiting for a leader: released together when one is known, not by a
// lost leader, and a wait its caller gave up is forgotten (a long quorum loss with
// clients retrying must not pile up waits).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeaderWait } from '../../src/server/leader-wait.js';

const settled = async <T>(promise: Promise<T>): Promise<{ done: boolean; value?: T }> => {
  let state: { done: boolean; value?: T } = { done: false };
  void promise.then((value) => {
    state = { done: true, value };
  });
  await new Promise<void>((resolve) => setImmediate(resolve));
  return state;
};

/** A give-up signal that never comes, and one the test fires. */
const never = new Promise<void>(() => undefined);
function signal(): { promise: Promise<void>; fire: () => void } {
  let fire: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { promise, fire };
}

test('every waiting proposal is released when a leader is known, and only then', async () => {
  const waits = new LeaderWait();
  const first = waits.before(never);
  const second = waits.before(never);
  assert.equal(waits.size, 2);
  waits.onLeaderChange(0n);
  assert.equal((await settled(first)).done, false, 'losing a leader releases nobody');
  waits.onLeaderChange(7n);
  assert.deepEqual([await settled(first), await settled(second)], [{ done: true, value: true }, { done: true, value: true }]);
  assert.equal(waits.size, 0);
});

test('a wait whose caller gives up answers false, is forgotten, and is not released later', async () => {
  const waits = new LeaderWait();
  const giveUp = signal();
  const gaveUp = waits.before(giveUp.promise);
  const kept = waits.before(never);
  giveUp.fire();
  assert.deepEqual(await settled(gaveUp), { done: true, value: false });
  assert.equal(waits.size, 1);
  waits.onLeaderChange(3n);
  assert.deepEqual(await settled(kept), { done: true, value: true });
  assert.equal(waits.size, 0);
});

test('within() tells whether a leader came in time, and forgets its wait either way', async (t) => {
  const waits = new LeaderWait();
  // within()'s timer does not hold the event loop open (a stopping server must not wait
  // for it); a server's sockets do, and this timer stands in for them.
  const server = setTimeout(() => undefined, 10_000);
  t.after(() => clearTimeout(server));
  assert.equal(await waits.within(20), false, 'no leader in 20 ms');
  assert.equal(waits.size, 0);
  const waiting = waits.within(10_000);
  waits.onLeaderChange(5n);
  assert.equal(await waiting, true);
  assert.equal(waits.size, 0);
});
