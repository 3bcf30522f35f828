// Queues and barriers: producers and consumers on separate clients; every item is
// delivered exactly once; priorities come out in order; barriers hold and release.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Etcd } from '../../src/client/etcd.js';
import { Barrier, DoubleBarrier } from '../../src/client/recipes/barrier.js';
import { PriorityQueue, Queue } from '../../src/client/recipes/queue.js';
import { Session } from '../../src/client/recipes/session.js';
import { delay, missingFeature, openFixture, type ClientFixture } from './fixture.js';

const PRODUCERS = 3;
const CONSUMERS = 3;
const ITEMS_PER_PRODUCER = 10;

let fx: ClientFixture;
let skipWatch: string | undefined;
let skipLease: string | undefined;
let clients: Etcd[] = [];
before(async () => {
  fx = await openFixture();
  skipWatch = await missingFeature(fx.etcd, 'watch');
  skipLease = (await missingFeature(fx.etcd, 'lease')) ?? skipWatch;
  clients = Array.from({ length: PRODUCERS + CONSUMERS }, () => new Etcd({ endpoints: [fx.server.endpoint] }));
});
after(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await fx?.close();
});

describe('queue', () => {
  test(`${PRODUCERS} producers, ${CONSUMERS} consumers: each of ${PRODUCERS * ITEMS_PER_PRODUCER} items exactly once`, async (t) => {
    if (skipWatch !== undefined) return t.skip(skipWatch);
    const p = fx.prefix('queue');
    const total = PRODUCERS * ITEMS_PER_PRODUCER;
    const received: string[] = [];
    const perProducerOrder = new Map<number, number[]>();
    const consumer = async (client: Etcd, count: number): Promise<void> => {
      const queue = new Queue(client, `${p}q`);
      for (let n = 0; n < count; n++) received.push(await queue.dequeue(AbortSignal.timeout(20_000)));
    };
    // Consumers start first so some of them wait on an empty queue.
    const consuming = clients.slice(PRODUCERS).map((client) => consumer(client, total / CONSUMERS));
    await delay(100);
    await Promise.all(
      clients.slice(0, PRODUCERS).map(async (client, producer) => {
        const queue = new Queue(client, `${p}q`);
        for (let item = 0; item < ITEMS_PER_PRODUCER; item++) await queue.enqueue(`${producer}:${item}`);
      }),
    );
    await Promise.all(consuming);
    assert.equal(received.length, total);
    assert.equal(new Set(received).size, total);
    for (const value of received) {
      const [producer, item] = value.split(':').map(Number);
      perProducerOrder.set(producer!, [...(perProducerOrder.get(producer!) ?? []), item!]);
    }
    assert.equal(perProducerOrder.size, PRODUCERS);
    assert.equal((await fx.etcd.range(`${p}q/`, { prefix: true })).count, 0n);
  });

  test('a single consumer gets a producer’s items in the order they were queued', async (t) => {
    if (skipWatch !== undefined) return t.skip(skipWatch);
    const queue = new Queue(fx.etcd, `${fx.prefix('queue-fifo')}q`);
    for (const value of ['a', 'b', 'c']) await queue.enqueue(value);
    assert.deepEqual([await queue.dequeue(), await queue.dequeue(), await queue.dequeue()], ['a', 'b', 'c']);
  });

  test('a priority queue hands out the lowest priority number first, FIFO within one', async (t) => {
    if (skipWatch !== undefined) return t.skip(skipWatch);
    const queue = new PriorityQueue(fx.etcd, fx.prefix('pq'));
    await queue.enqueue('low-1', 5);
    await queue.enqueue('urgent', 0);
    await queue.enqueue('low-2', 5);
    await queue.enqueue('mid', 2);
    const order: string[] = [];
    for (let n = 0; n < 4; n++) order.push(await queue.dequeue());
    assert.deepEqual(order, ['urgent', 'mid', 'low-1', 'low-2']);
  });
});

describe('barriers', () => {
  test('waiters pass only after the barrier is released', async (t) => {
    if (skipWatch !== undefined) return t.skip(skipWatch);
    const key = `${fx.prefix('barrier')}b`;
    const barrier = new Barrier(fx.etcd, key);
    await barrier.hold();
    await assert.rejects(barrier.hold());
    let passed = 0;
    const waiting = clients.slice(0, 3).map(async (client) => {
      await new Barrier(client, key).wait();
      passed++;
    });
    await delay(300);
    assert.equal(passed, 0);
    await barrier.release();
    await Promise.all(waiting);
    assert.equal(passed, 3);
  });

  test('a double barrier lets 3 participants enter together and leave together', async (t) => {
    if (skipLease !== undefined) return t.skip(skipLease);
    const key = `${fx.prefix('double')}db`;
    const participants = 3;
    const sessions = await Promise.all(clients.slice(0, participants).map((client) => Session.create(client, { ttlSeconds: 10 })));
    const log: string[] = [];
    try {
      await Promise.all(
        sessions.map(async (session, i) => {
          const barrier = new DoubleBarrier(session, key, participants);
          await delay(i * 100);
          log.push('arrive');
          await barrier.enter();
          log.push('enter');
          await delay(i * 100);
          log.push('done');
          await barrier.leave();
          log.push('leave');
        }),
      );
    } finally {
      await Promise.all(sessions.map((session) => session.close()));
    }
    const lastArrive = log.lastIndexOf('arrive');
    const firstEnter = log.indexOf('enter');
    assert.ok(lastArrive < firstEnter, `someone entered before all arrived: ${log.join(',')}`);
    assert.ok(log.lastIndexOf('done') < log.indexOf('leave'), `someone left before all were done: ${log.join(',')}`);
  });
});
