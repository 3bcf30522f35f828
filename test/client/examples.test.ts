// Runs each example in examples/ against a real server and checks what it printed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { main as electionMain } from '../../examples/election.js';
import { main as kvMain } from '../../examples/kv.js';
import { main as lockMain } from '../../examples/lock.js';
import { main as stmMain } from '../../examples/stm.js';
import { main as watchMain } from '../../examples/watch.js';
import { missingFeature, openFixture, type ClientFixture } from './fixture.js';

let fx: ClientFixture;
let skipWatch: string | undefined;
let skipLease: string | undefined;
before(async () => {
  fx = await openFixture();
  skipWatch = await missingFeature(fx.etcd, 'watch');
  skipLease = (await missingFeature(fx.etcd, 'lease')) ?? skipWatch;
});
after(async () => {
  await fx?.close();
});

async function run(main: (endpoint: string, log: (line: string) => void) => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  await main(fx.server.endpoint, (line) => lines.push(line));
  return lines;
}

describe('examples', () => {
  test('kv', async () => {
    assert.deepEqual(await run(kvMain), [
      'greeting = hello',
      'claimed owner: true',
      'page 1: item 0, item 1',
      'page 2: item 2, item 3',
      'page 3: item 4',
    ]);
  });

  test('watch', async (t) => {
    if (skipWatch !== undefined) return t.skip(skipWatch);
    assert.deepEqual(await run(watchMain), [
      'put example/watch/color red',
      'put example/watch/color blue (was red)',
      'delete example/watch/color (was blue)',
    ]);
  });

  test('lock', async (t) => {
    if (skipLease !== undefined) return t.skip(skipLease);
    const lines = await run(lockMain);
    assert.deepEqual([...lines].sort(), ['counter = 10', 'worker-a done', 'worker-b done']);
  });

  test('election', async (t) => {
    if (skipLease !== undefined) return t.skip(skipLease);
    assert.deepEqual(await run(electionMain), ['leader: alice', 'leader: alice (proclaimed)', 'leader: bob']);
  });

  test('stm', async () => {
    assert.deepEqual(await run(stmMain), ['a = 75, b = 125, total = 200']);
  });
});
