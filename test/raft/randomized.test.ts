// Seeded chaos: random ticks, proposals, partitions, crashes, compactions and
// transfers over a lossy, reordering network. Every run replays from its seed.

import { test } from 'node:test';
import { runSeed } from './support/chaos.js';

const SEED_COUNT = 300;

test(`${SEED_COUNT} seeded chaos runs keep one leader per term and identical applied histories`, () => {
  for (let seed = 1; seed <= SEED_COUNT; seed++) runSeed(seed);
});
