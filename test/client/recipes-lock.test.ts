// Locks and sessions under contention: several clients, each with its own session, take
// turns; an independent counter proves mutual exclusion held every time.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Etcd } from '../../src/client/etcd.js';
import { LeaseLostError } from '../../src/client/client-errors.js';
import { LockedError, Mutex } from '../../src/client/recipes/mutex.js';
import { RWMutex } from '../../src/client/recipes/rw-mutex.js';
import { Session } from '../../src/client/recipes/session.js';
import { delay, missingFeature, openFixture, type ClientFixture } from './fixture.js';

const CLIENTS = 4;
const ROUNDS_PER_CLIENT = 5;

let fx: ClientFixture;
let skipReason: string | undefined;
let clients: Etcd[] = [];
before(async () => {
  fx = await openFixture();
  skipReason = await missingFeature(fx.etcd, 'lease', 'watch');
  clients = Array.from({ length: CLIENTS }, () => new Etcd({ endpoints: [fx.server.endpoint] }));
});
after(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await fx?.close();
});

describe('session', () => {
  test('closing a session revokes its lease and the keys on it', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const p = fx.prefix('session');
    const session = await Session.create(fx.etcd, { ttlSeconds: 10 });
    await fx.etcd.put(`${p}k`, 'v', { lease: session.leaseId });
    await session.close();
    assert.equal(await session.done, undefined);
    assert.equal(await fx.etcd.get(`${p}k`), undefined);
    await session.close();
  });

  test('a session whose lease is revoked elsewhere reports the loss through done and signal', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const session = await Session.create(fx.etcd, { ttlSeconds: 2 });
    await fx.etcd.lease.revoke(session.leaseId);
    const done = await Promise.race([session.done, delay(5_000).then(() => 'timeout' as const)]);
    assert.ok(done instanceof LeaseLostError);
    assert.equal(session.signal.aborted, true);
    await session.close();
  });
});

describe('mutex', () => {
  test(`${CLIENTS} clients x ${ROUNDS_PER_CLIENT} rounds: one holder at a time, no lost update`, async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const p = fx.prefix('mutex');
    const counterKey = `${p}counter`;
    await fx.etcd.put(counterKey, '0');
    let holders = 0;
    let maxHolders = 0;
    const worker = async (client: Etcd): Promise<void> => {
      const session = await Session.create(client, { ttlSeconds: 10 });
      const mutex = new Mutex(session, `${p}lock`);
      try {
        for (let round = 0; round < ROUNDS_PER_CLIENT; round++) {
          await mutex.lock();
          holders++;
          maxHolders = Math.max(maxHolders, holders);
          // A read-modify-write without a txn: only mutual exclusion keeps it from losing updates.
          const value = Number(await client.getString(counterKey));
          await delay(2);
          await client.put(counterKey, String(value + 1));
          holders--;
          await mutex.unlock();
        }
      } finally {
        await session.close();
      }
    };
    await Promise.all(clients.map(worker));
    assert.equal(maxHolders, 1);
    assert.equal(await fx.etcd.getString(counterKey), String(CLIENTS * ROUNDS_PER_CLIENT));
  });

  test('tryLock fails with LockedError while another session holds the lock, and then succeeds', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const p = fx.prefix('trylock');
    const [a, b] = [await Session.create(clients[0]!), await Session.create(clients[1]!)];
    try {
      const held = new Mutex(a, `${p}lock`);
      await held.lock();
      const contender = new Mutex(b, `${p}lock`);
      await assert.rejects(contender.tryLock(), LockedError);
      assert.equal((await fx.etcd.range(`${p}lock/`, { prefix: true })).count, 1n);
      await held.unlock();
      await contender.tryLock();
      const guarded = await fx.etcd.txn().when(contender.isOwner()).commit();
      assert.equal(guarded.succeeded, true);
      await contender.unlock();
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('an aborted lock() leaves the queue, so the next contender is not blocked', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const p = fx.prefix('lock-abort');
    const [a, b, c] = [await Session.create(clients[0]!), await Session.create(clients[1]!), await Session.create(clients[2]!)];
    try {
      const owner = new Mutex(a, `${p}lock`);
      await owner.lock();
      const impatient = new Mutex(b, `${p}lock`);
      await assert.rejects(impatient.lock(AbortSignal.timeout(200)));
      const patient = new Mutex(c, `${p}lock`);
      const acquired = patient.lock();
      await owner.unlock();
      await acquired;
      assert.equal((await fx.etcd.range(`${p}lock/`, { prefix: true })).kvs.map((kv) => kv.key.toString()).join(), patient.key);
      await patient.unlock();
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  test('a lock held by a closed session is released for the next waiter', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const p = fx.prefix('lock-expire');
    const a = await Session.create(clients[0]!, { ttlSeconds: 5 });
    const b = await Session.create(clients[1]!, { ttlSeconds: 5 });
    try {
      await new Mutex(a, `${p}lock`).lock();
      const waiting = new Mutex(b, `${p}lock`).lock();
      await a.close();
      await waiting;
    } finally {
      await b.close();
    }
  });
});

describe('rw-mutex', () => {
  test('readers share, a writer excludes everyone', async (t) => {
    if (skipReason !== undefined) return t.skip(skipReason);
    const p = fx.prefix('rw');
    const sessions = await Promise.all(clients.map((client) => Session.create(client, { ttlSeconds: 10 })));
    let readers = 0;
    let writers = 0;
    let maxReaders = 0;
    let violations = 0;
    const reader = async (session: Session): Promise<void> => {
      const lock = new RWMutex(session, `${p}lock`);
      for (let round = 0; round < 3; round++) {
        await lock.readLock();
        readers++;
        maxReaders = Math.max(maxReaders, readers);
        if (writers > 0) violations++;
        await delay(20);
        readers--;
        await lock.unlock();
      }
    };
    const writer = async (session: Session): Promise<void> => {
      const lock = new RWMutex(session, `${p}lock`);
      for (let round = 0; round < 3; round++) {
        await lock.writeLock();
        writers++;
        if (writers > 1 || readers > 0) violations++;
        await delay(10);
        writers--;
        await lock.unlock();
      }
    };
    try {
      await Promise.all([reader(sessions[0]!), reader(sessions[1]!), reader(sessions[2]!), writer(sessions[3]!)]);
    } finally {
      await Promise.all(sessions.map((session) => session.close()));
    }
    assert.equal(violations, 0);
    assert.ok(maxReaders >= 2, `readers never overlapped (max ${maxReaders})`);
  });
});
