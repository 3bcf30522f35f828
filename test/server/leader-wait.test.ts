// Proposals waiting for a leader: released together when one is known, not by a
// lost leader, and a cancelled wait is forgotten (a long quorum loss with clients
// retrying must not pile up waits).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeaderWait } from '../../src/server/leader-wait.js';

const settled = async (promise: Promise<void>): Promise<boolean> => {
  let done = false;
  void promise.then(() => {
    done = true;
  });
  await new Promise<void>((resolve) => setImmediate(resolve));
  return done;
};

test('every waiting proposal is released when a leader is known, and only then', async () => {
  const waits = new LeaderWait();
  const first = waits.next();
  const second = waits.next();
  waits.onLeaderChange(0n);
  assert.equal(await settled(first.elected), false, 'losing a leader releases nobody');
  waits.onLeaderChange(7n);
  assert.deepEqual([await settled(first.elected), await settled(second.elected)], [true, true]);
  assert.equal(waits.size, 0);
});

test('a cancelled wait is forgotten and is not released later', async () => {
  const waits = new LeaderWait();
  const gaveUp = waits.next();
  const kept = waits.next();
  gaveUp.cancel();
  assert.equal(waits.size, 1);
  waits.onLeaderChange(3n);
  assert.deepEqual([await settled(gaveUp.elected), await settled(kept.elected)], [false, true]);
  kept.cancel();
  assert.equal(waits.size, 0, 'cancelling after the release is harmless');
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
