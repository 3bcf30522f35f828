// Reconnect delays start at 50 ms, double to a 1 s ceiling, take their jitter from
// the injected random source, and start over after a successful connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReconnectBackoff } from '../../src/transport/reconnect-backoff.js';

test('with the highest jitter, delays double from 50 ms and stop at 1 s', () => {
  const backoff = new ReconnectBackoff(() => 0.999999);
  const delays = Array.from({ length: 8 }, () => backoff.next());
  assert.deepEqual(delays, [50, 100, 200, 400, 800, 1000, 1000, 1000]);
});

test('jitter keeps each delay between half and all of its step', () => {
  const low = new ReconnectBackoff(() => 0);
  assert.deepEqual([low.next(), low.next(), low.next()], [25, 50, 100]);
});

test('after reset the next delay is the shortest again', () => {
  const backoff = new ReconnectBackoff(() => 0.999999);
  for (let i = 0; i < 6; i++) backoff.next();
  backoff.reset();
  assert.equal(backoff.next(), 50);
});
