// A bbolt file with every shape the format has: multi-level trees, overflow pages
// for large values and large keys, inline and empty buckets, and buckets nested two
// deep, built from seeded data so a failure replays.
import { seededRandom } from '../../src/util/seeded-random.js';
import type { BboltBucketSource } from '../../src/bbolt/bbolt-writer.js';

export type Pairs = [Buffer, Buffer][];

export interface FixtureContent {
  /** Top-level buckets and their plain key/values. */
  readonly plain: ReadonlyMap<string, Pairs>;
  /** Buckets nested in `parent`, and `grandchild` inside `child-big`. */
  readonly parentPairs: Pairs;
  readonly childSmall: Pairs;
  readonly childBig: Pairs;
  readonly grandchild: Pairs;
}

function sortedPairs(count: number, make: (i: number) => [Buffer, Buffer]): Pairs {
  const pairs = Array.from({ length: count }, (_, i) => make(i));
  return pairs.sort((a, b) => Buffer.compare(a[0], b[0]));
}

export function fixtureContent(seed: number, bigKeys: number): FixtureContent {
  const random = seededRandom(seed);
  const bytes = (length: number): Buffer => Buffer.from(Array.from({ length }, () => random.int(0, 255)));
  const plain = new Map<string, Pairs>([
    ['big', sortedPairs(bigKeys, (i) => [Buffer.from(`key-${String(i).padStart(7, '0')}`), bytes(random.int(0, 120))])],
    ['overflow', sortedPairs(8, (i) => [Buffer.concat([Buffer.from([i]), bytes(i % 2 === 0 ? 20_000 : 10)]), bytes(i === 3 ? 1_500_000 : 9_000 * i)])],
    ['small', sortedPairs(3, (i) => [Buffer.from(`s${i}`), Buffer.from(`small value ${i}`)])],
    ['empty', []],
  ]);
  return {
    plain,
    parentPairs: sortedPairs(5, (i) => [Buffer.from(`child-${'a'.repeat(i)}`), bytes(10)]),
    childSmall: sortedPairs(2, (i) => [Buffer.from(`c${i}`), bytes(5)]),
    childBig: sortedPairs(1_000, (i) => [Buffer.from(`cb-${i}`), bytes(50)]),
    grandchild: sortedPairs(10, (i) => [Buffer.from(`g${i}`), bytes(300)]),
  };
}

export function fixtureSources(content: FixtureContent): Map<string, BboltBucketSource> {
  const sources = new Map<string, BboltBucketSource>();
  for (const [name, pairs] of content.plain) sources.set(name, { entries: pairs });
  sources.set('parent', {
    entries: content.parentPairs,
    buckets: new Map<string, BboltBucketSource>([
      ['child-small', { entries: content.childSmall }],
      ['child-big', { entries: content.childBig, buckets: new Map([['grandchild', { entries: content.grandchild }]]) }],
    ]),
  });
  return sources;
}

/** Bucket contents bbolt cannot hold, each named for the test title; every writer must refuse them. */
export const UNWRITABLE_PAIRS: readonly (readonly [string, Pairs])[] = [
  ['keys out of order', [[Buffer.from('b'), Buffer.from('1')], [Buffer.from('a'), Buffer.from('2')]]],
  ['a repeated key', [[Buffer.from('a'), Buffer.from('1')], [Buffer.from('a'), Buffer.from('2')]]],
  ['an empty key', [[Buffer.alloc(0), Buffer.from('1')]]],
  ['a key over 32 KiB', [[Buffer.alloc(32 * 1024 + 1, 1), Buffer.from('1')]]],
];
