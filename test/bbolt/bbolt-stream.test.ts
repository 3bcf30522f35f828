// A bbolt file streamed in two passes (layout from the sizes, then pages in id
// order as the reader pulls them): bbolt checks and hashes it like the file our
// writer makes, it has the same number of pages, producing it waits for the
// consumer, and bad or shifting input is refused before or as it is seen.
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BboltReader } from '../../src/bbolt/bbolt-reader.js';
import { bboltStreamBlocks } from '../../src/bbolt/bbolt-stream-pages.js';
import { planBboltStream } from '../../src/bbolt/bbolt-stream-plan.js';
import { inPlaceOf, type InPlaceBucket } from '../../src/bbolt/in-place-bucket.js';
import { BboltWriteError, writeBbolt } from '../../src/bbolt/bbolt-writer.js';
import { etcdSnapshotStatus } from '../../src/snapshot/etcd-format/etcd-snapshot-status.js';
import { snapshotStatus } from '../snapshot/etcd-snapshot-helpers.js';
import { fixtureContent, UNWRITABLE_PAIRS, type Pairs } from './bbolt-fixture.js';

const SEED = 20261126;
/** Enough keys that the big bucket needs two levels of branch pages. */
const BIG_KEYS = 40_000;
const PAGE_BYTES = 4096;
/** Small blocks, so the fixture's 1.5 MB value and multi-page branches straddle block boundaries. */
const BLOCK_BYTES = 32 * 1024;
/** Buckets of ~1000 bytes each, all inline: the root bucket alone needs several leaves and a branch. */
const INLINE_BUCKETS = 12;

function contentBuckets(): Map<string, Pairs> {
  const buckets = new Map(fixtureContent(SEED, BIG_KEYS).plain);
  // Keys of 20 KB: branch pages above their leaves overflow into several pages.
  buckets.set('long-keys', Array.from({ length: 30 }, (_, i): [Buffer, Buffer] => [Buffer.alloc(20_000, 0x41 + i), Buffer.from(`v${i}`)]));
  for (let i = 0; i < INLINE_BUCKETS; i++) buckets.set(`inline-${i}`, [[Buffer.from('k'), Buffer.alloc(950, i)]]);
  return buckets;
}

function sourcesOf(buckets: ReadonlyMap<string, Pairs>): Map<string, InPlaceBucket> {
  return new Map([...buckets].map(([name, pairs]) => [name, inPlaceOf(() => pairs)]));
}

async function streamToFile(sources: ReadonlyMap<string, InPlaceBucket>, path: string): Promise<number> {
  const plan = await planBboltStream(sources, PAGE_BYTES);
  const blocks = [...bboltStreamBlocks(plan, BLOCK_BYTES)];
  assert.ok(blocks.slice(0, -1).every((b) => b.length === BLOCK_BYTES), 'every block but the last is full');
  await writeFile(path, Buffer.concat(blocks));
  return plan.pageCount * PAGE_BYTES;
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bbolt-stream-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a streamed bbolt file', () => {
  const buckets = contentBuckets();
  let path: string;
  let plannedBytes: number;
  let reader: BboltReader;
  before(async () => {
    path = join(dir, 'streamed.db');
    plannedBytes = await streamToFile(sourcesOf(buckets), path);
    reader = BboltReader.open(path);
  });
  after(() => reader?.close());

  test('is as long as its plan said, and reads back every bucket, key and value in order', async () => {
    assert.equal((await stat(path)).size, plannedBytes);
    assert.deepEqual(reader.buckets(), [...buckets.keys()].sort());
    for (const [name, pairs] of buckets) assert.deepEqual([...reader.entries(name)], pairs, name);
    assert.equal(reader.meta.freelistPgid, 2n);
  });

  test('keeps small buckets inline, as the file writer does, and has exactly its page count', async () => {
    const written = join(dir, 'written.db');
    await writeBbolt(written, buckets);
    const other = BboltReader.open(written);
    try {
      assert.equal(reader.pageCount, other.pageCount);
      const headers = (r: BboltReader): string[] => [...r.items([])].map((i) => `${i.key.toString()}:${i.value.length}`);
      assert.deepEqual(headers(reader), headers(other));
    } finally {
      other.close();
    }
  });

  test('passes bbolt’s own check, and bbolt hashes the same bytes our reader returns', async () => {
    assert.deepEqual(await snapshotStatus(path), etcdSnapshotStatus(reader));
  });
});

describe('streaming waits for its consumer', () => {
  test('the second pass reads only what the blocks taken so far need', async () => {
    const pairs: Pairs = Array.from({ length: 20_000 }, (_, i) => [Buffer.from(`key-${String(i).padStart(6, '0')}`), Buffer.alloc(100, i)]);
    let reads = 0;
    let pass = 0;
    const counted = function* (): Generator<[Buffer, Buffer]> {
      pass++;
      for (const pair of pairs) {
        if (pass === 2) reads++;
        yield pair;
      }
    };
    const plan = await planBboltStream(new Map([['b', inPlaceOf(counted)]]), PAGE_BYTES);
    const blocks = bboltStreamBlocks(plan, BLOCK_BYTES);
    for (let i = 0; i < 3; i++) assert.equal(blocks.next().done, false);
    // Three 32 KiB blocks hold ~24 pages of ~30 entries of 126 bytes: far from the 20,000.
    assert.ok(reads > 0 && reads < 1_000, `${reads} entries read for 3 blocks`);
    let rest = 0;
    for (const block of blocks) rest += block.length;
    assert.equal(3 * BLOCK_BYTES + rest, plan.pageCount * PAGE_BYTES);
    assert.equal(reads, pairs.length);
  });
});

describe('bad input', () => {
  for (const [what, pairs] of UNWRITABLE_PAIRS) {
    test(`${what} is refused by the first pass, before any page exists`, async () => {
      await assert.rejects(planBboltStream(sourcesOf(new Map([['b', pairs]])), PAGE_BYTES), BboltWriteError);
    });
  }

  test('a source that reads differently the second time stops the stream', async () => {
    const pairs: Pairs = Array.from({ length: 2_000 }, (_, i) => [Buffer.from(`k${String(i).padStart(5, '0')}`), Buffer.alloc(50)]);
    let pass = 0;
    const shifting = (): Pairs => (++pass === 1 ? pairs : pairs.slice(0, -1));
    const plan = await planBboltStream(new Map([['b', inPlaceOf(shifting)]]), PAGE_BYTES);
    assert.throws(() => [...bboltStreamBlocks(plan, BLOCK_BYTES)], /changed between the two passes/);
  });
});
