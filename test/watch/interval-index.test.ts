// The interval index against a brute-force list: random adds and deletes of
// ranges (bounded and unbounded, shared and distinct), then every stabbing query.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IntervalIndex } from '../../src/watch/interval-index.js';

interface Entry {
  readonly from: string;
  readonly to: string | null;
  readonly id: number;
}

function seeded(seed: number): (bound: number) => number {
  let state = seed >>> 0;
  return (bound) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % bound;
  };
}

const KEYS = Array.from({ length: 40 }, (_, i) => `k${String(i).padStart(2, '0')}`);

test('stabbing queries match a brute-force scan through 3,000 random adds and deletes', () => {
  const random = seeded(7);
  const index = new IntervalIndex<number>();
  const live: Entry[] = [];
  for (let step = 0; step < 3000; step++) {
    if (live.length > 0 && random(3) === 0) {
      const [gone] = live.splice(random(live.length), 1);
      assert.ok(gone !== undefined);
      assert.equal(index.delete(gone.from, gone.to, gone.id), true);
    } else {
      const a = random(KEYS.length);
      const from = KEYS[a] as string;
      const to = random(4) === 0 ? null : (KEYS[Math.min(KEYS.length - 1, a + 1 + random(8))] as string) + (random(2) === 0 ? '' : '!');
      // With 40 keys equal ranges are common, which exercises shared nodes.
      const entry = { from, to, id: step };
      live.push(entry);
      index.add(from, to, entry.id);
    }
    if (step % 50 !== 0) continue;
    for (const key of [...KEYS, 'a', 'z', 'k05!']) {
      const found: number[] = [];
      index.stab(key, (id) => found.push(id));
      const wanted = live.filter((e) => key >= e.from && (e.to === null || key < e.to)).map((e) => e.id);
      assert.deepEqual(found.sort((x, y) => x - y), wanted.sort((x, y) => x - y), `step ${step} key ${key}`);
    }
    assert.equal(index.memberCount, live.length);
  }
});

test('deleting a member that is not there reports false and changes nothing', () => {
  const index = new IntervalIndex<string>();
  index.add('a', 'c', 'w1');
  assert.equal(index.delete('a', 'c', 'w2'), false);
  assert.equal(index.delete('a', null, 'w1'), false);
  const found: string[] = [];
  index.stab('b', (w) => found.push(w));
  assert.deepEqual(found, ['w1']);
});
