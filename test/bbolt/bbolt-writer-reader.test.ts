// Files from our bbolt writer, read back by our reader and by bbolt itself (through
// `etcdctl snapshot status`, which runs bbolt's consistency check and hashes every
// bucket, key and value).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BboltReader } from '../../src/bbolt/bbolt-reader.js';
import { BboltWriteError, writeBbolt } from '../../src/bbolt/bbolt-writer.js';
import { etcdSnapshotStatus } from '../../src/snapshot/etcd-format/etcd-snapshot-status.js';
import { snapshotStatus } from '../snapshot/etcd-snapshot-helpers.js';
import { fixtureContent, fixtureSources, UNWRITABLE_PAIRS } from './bbolt-fixture.js';

const SEED = 20261125;
/** Enough keys of up to ~130 bytes that the tree needs two levels of branch pages. */
const BIG_KEYS = 40_000;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bbolt-writer-reader-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function hexPairs(pairs: Iterable<readonly [Buffer, Buffer]>): string[] {
  return [...pairs].map(([k, v]) => `${k.toString('hex')}=${v.toString('hex')}`);
}

describe('a file written by our writer', () => {
  const content = fixtureContent(SEED, BIG_KEYS);
  let path: string;
  let reader: BboltReader;
  before(async () => {
    path = join(dir, 'fixture.db');
    await writeBbolt(path, fixtureSources(content));
    reader = BboltReader.open(path);
  });
  after(() => reader?.close());

  test('reads back every bucket, key and value in order, nested buckets included', () => {
    assert.deepEqual(reader.buckets(), ['big', 'empty', 'overflow', 'parent', 'small']);
    for (const [name, pairs] of content.plain) assert.deepEqual(hexPairs(reader.entries(name)), hexPairs(pairs), name);
    assert.deepEqual(reader.subBuckets('parent'), ['child-big', 'child-small']);
    assert.deepEqual(hexPairs(reader.entries('parent')), hexPairs(content.parentPairs));
    assert.deepEqual(hexPairs(reader.entries(['parent', 'child-small'])), hexPairs(content.childSmall));
    assert.deepEqual(hexPairs(reader.entries(['parent', 'child-big'])), hexPairs(content.childBig));
    assert.deepEqual(hexPairs(reader.entries(['parent', 'child-big', 'grandchild'])), hexPairs(content.grandchild));
    assert.equal(reader.hasBucket(['parent', 'nope']), false);
  });

  test('keeps small buckets inline and gives big ones their own pages and branch levels', () => {
    const rootOf = (name: string, path: string[] = []): bigint =>
      [...reader.items(path)].find((item) => item.key.toString() === name)!.value.readBigUInt64LE(0);
    assert.equal(rootOf('small'), 0n);
    assert.equal(rootOf('empty'), 0n);
    assert.equal(rootOf('child-small', ['parent']), 0n);
    assert.notEqual(rootOf('big'), 0n);
    // A bucket holding a bucket is never inline, however small.
    assert.notEqual(rootOf('child-big', ['parent']), 0n);
    assert.ok(reader.pageCount > 1_000, `${reader.pageCount} pages`);
  });

  test('passes bbolt’s own check, and bbolt hashes the same bytes our reader returns', async () => {
    assert.deepEqual(await snapshotStatus(path), etcdSnapshotStatus(reader));
  });
});

describe('the writer refuses what bbolt cannot hold', () => {
  for (const [what, pairs] of UNWRITABLE_PAIRS) {
    test(`${what}, and leaves no file behind`, async () => {
      const path = join(dir, 'refused.db');
      await assert.rejects(writeBbolt(path, new Map([['b', pairs]])), BboltWriteError);
      assert.throws(() => BboltReader.open(path), { code: 'ENOENT' });
    });
  }
});
