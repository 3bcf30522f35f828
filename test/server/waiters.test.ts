// Proposal waiters: each is released once, by its result, by the timeout (in the
// order they registered, from one shared timer) or by failAll.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { EtcdError } from '../../src/errors/etcd-error.js';
import { Waiters, type ApplyOutcome } from '../../src/server/waiters.js';

const TIMEOUT_MS = 60;

const describe = (outcome: ApplyOutcome): string =>
  outcome.ok ? `ok:${String(outcome.value)}` : outcome.error instanceof EtcdError ? `error:${outcome.error.code}` : `error:${outcome.error.message}`;

test('a result releases its waiter once; later results and the timeout are ignored', { timeout: 5_000 }, async () => {
  const waiters = new Waiters(TIMEOUT_MS);
  const first = waiters.register(1n);
  waiters.trigger(1n, { ok: true, value: 'a' });
  waiters.trigger(1n, { ok: true, value: 'b' });
  assert.equal(describe(await first), 'ok:a');
  assert.equal(waiters.size, 0);
  await sleep(TIMEOUT_MS * 2);
  assert.equal(waiters.size, 0);
});

test('waiters time out in registration order, each after the timeout, and the timer follows the oldest left', { timeout: 5_000 }, async () => {
  const waiters = new Waiters(TIMEOUT_MS);
  const startedMs = performance.now();
  const released: string[] = [];
  const watch = (id: bigint): Promise<void> =>
    waiters.register(id).then((outcome) => {
      released.push(`${id}:${describe(outcome)}@${Math.round(performance.now() - startedMs)}`);
    });
  const early = [watch(1n), watch(2n)];
  await sleep(TIMEOUT_MS / 2);
  const late = watch(3n);
  waiters.trigger(2n, { ok: true, value: 'done' });
  await Promise.all(early);
  assert.equal(waiters.size, 1, 'only the later waiter is left when the first timeout fires');
  await late;
  assert.equal(released.length, 3);
  const at = (entry: string | undefined): number => Number(entry?.split('@')[1]);
  assert.match(released[0] ?? '', /^2:ok:done@/);
  assert.match(released[1] ?? '', /^1:error:Timeout@/);
  assert.match(released[2] ?? '', /^3:error:Timeout@/);
  assert.ok(at(released[1]) >= TIMEOUT_MS - 1, `the first timed out after ${at(released[1])} ms`);
  assert.ok(at(released[2]) >= TIMEOUT_MS * 1.5 - 1, `the later one timed out after ${at(released[2])} ms, not with the first`);
});

test('failAll releases everyone with its error and stops the timer; new waiters time out again', { timeout: 5_000 }, async () => {
  const waiters = new Waiters(TIMEOUT_MS);
  const both = [waiters.register(1n), waiters.register(2n)];
  waiters.failAll(new EtcdError('Stopped'));
  assert.deepEqual((await Promise.all(both)).map(describe), ['error:Stopped', 'error:Stopped']);
  assert.equal(waiters.size, 0);
  const again = waiters.register(3n);
  assert.equal(describe(await again), 'error:Timeout');
});
