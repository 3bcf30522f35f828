// The etcd-ts process keeps V8's old-generation limit a fixed headroom above the
// live heap: a small heap gets a large growing factor (capped), a large heap a
// small one (floored at V8's own minimum), and the factor follows the live heap
// as full collections measure it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  GROWING_PERCENT_MAX, GROWING_PERCENT_MIN, OLD_GENERATION_HEADROOM_BYTES, growingPercentFor, keepHeapHeadroom,
} from '../../src/cli/heap-headroom.js';

const MIB = 1024 * 1024;
const WAIT_STEPS_MAX = 50;

test('the growing percent leaves the headroom above the live heap, within the bounds', () => {
  assert.equal(OLD_GENERATION_HEADROOM_BYTES, 64 * MIB);
  assert.equal(growingPercentFor(8 * MIB), GROWING_PERCENT_MAX, 'a tiny heap: capped at 5x');
  assert.equal(growingPercentFor(20 * MIB), 320, '20 MiB live: limit 84 MiB');
  assert.equal(growingPercentFor(64 * MIB), 100);
  assert.equal(growingPercentFor(256 * MIB), 25);
  assert.equal(growingPercentFor(1024 * MIB), GROWING_PERCENT_MIN, 'a large heap: V8\'s floor of 1.1x');
  assert.equal(growingPercentFor(0), GROWING_PERCENT_MAX);
});

/** A full collection, as the process's own GC would run one. */
function collectFully(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
}

async function percentAfterFullCollection(headroom: { readonly percent: number }, expectedBelow: boolean, than: number): Promise<number> {
  collectFully();
  // The gc observer runs after the collection, from the event loop.
  for (let i = 0; i < WAIT_STEPS_MAX && (expectedBelow ? headroom.percent >= than : headroom.percent <= than); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return headroom.percent;
}

test('after each full collection the percent follows the live heap', async () => {
  const headroom = keepHeapHeadroom();
  try {
    collectFully();
    const small = await percentAfterFullCollection(headroom, false, 0);
    // 160 MiB that stay live: the next full collection measures a larger heap.
    // Arrays of doubles live on the V8 heap (typed arrays would not: their bytes are external).
    const retained = Array.from({ length: 160 }, () => new Array<number>(MIB / 8).fill(1.5));
    const large = await percentAfterFullCollection(headroom, true, small);
    assert.ok(large < small, `percent ${large} with 160 MiB live, ${small} before`);
    assert.ok(large <= growingPercentFor(160 * MIB), `percent ${large} leaves more than the headroom`);
    retained.length = 0;
    const again = await percentAfterFullCollection(headroom, false, large);
    assert.ok(again > large, `percent ${again} once the 160 MiB went, ${large} while live`);
  } finally {
    headroom.stop();
  }
});
