// Both backends behave the same: reads see pending writes, ranges are ordered
// and bounded, and only committed batches survive.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../../src/backend/backend.js';
import { MemoryBackend } from '../../src/backend/memory-backend.js';
import { LmdbBackend } from '../../src/backend/lmdb-backend.js';

const b = (s: string): Buffer => Buffer.from(s);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const keysOf = (entries: Array<{ key: Buffer }>): string[] => entries.map((e) => e.key.toString());

function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ts-backend-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

const kinds: Array<[string, (dir: string) => Backend]> = [
  ['memory', () => MemoryBackend.open()],
  ['lmdb', (dir) => LmdbBackend.open(join(dir, 'db'))],
];

for (const [kind, make] of kinds) {
  test(`${kind}: reads see pending, in-flight and committed writes alike`, () =>
    withTempDir(async (dir) => {
      const be = make(dir);
      be.put('key', b('a'), b('1'));
      be.put('key', b('c'), b('3'));
      assert.equal(be.get('key', b('a'))?.toString(), '1');
      const committing = be.commit();
      be.put('key', b('b'), b('2'));
      be.delete('key', b('c'));
      assert.deepEqual(keysOf(be.range('key', b('a'), undefined, 0)), ['a', 'b']);
      await committing;
      assert.equal(be.get('key', b('c')), undefined);
      await be.commit();
      assert.equal(be.pendingWrites, 0);
      be.put('key', b('d'), b('4'));
      be.delete('key', b('a'));
      assert.deepEqual(keysOf(be.range('key', b('a'), undefined, 0)), ['b', 'd']);
      assert.deepEqual(keysOf(be.range('key', b('b'), b('d'), 0)), ['b']);
      assert.deepEqual(keysOf(be.range('key', b('d'), b('b'), 0)), [], 'an inverted range is empty');
      assert.deepEqual(keysOf(be.range('key', b('a'), undefined, 1)), ['b']);
      assert.equal(be.get('meta', b('b')), undefined, 'buckets are separate');
      await be.close();
      await be.close();
    }));

  test(`${kind}: readInPlace hands over pending, in-flight and committed values, exactly valueBytes long`, () =>
    withTempDir(async (dir) => {
      const be = make(dir);
      const read = (key: string): string | undefined => {
        let seen: string | undefined;
        const found = be.readInPlace('key', b(key), (value, valueBytes) => {
          seen = Buffer.from(value.subarray(0, valueBytes)).toString();
        });
        assert.equal(found, seen !== undefined, 'found exactly when the reader ran');
        return seen;
      };
      be.put('key', b('long'), b('a much longer value than the next one'));
      be.put('key', b('short'), b('s'));
      be.put('key', b('gone'), b('x'));
      assert.equal(read('long'), 'a much longer value than the next one', 'pending');
      const committing = be.commit();
      be.delete('key', b('gone'));
      assert.equal(read('short'), 's', 'in flight');
      assert.equal(read('gone'), undefined, 'a pending delete hides the committing put');
      await committing;
      await be.commit();
      // lmdb hands over one shared buffer: a short value after a long one must not carry its tail.
      assert.equal(read('long'), 'a much longer value than the next one', 'committed');
      assert.equal(read('short'), 's', 'committed, shorter than the read before');
      assert.equal(read('gone'), undefined, 'committed delete');
      assert.equal(read('never'), undefined, 'absent');
      assert.equal(be.readInPlace('meta', b('long'), () => assert.fail('other bucket')), false);
      await be.close();
    }));

  test(`${kind}: a batch commits by itself at the write count limit and on the interval`, () =>
    withTempDir(async (dir) => {
      const open = (options: { batchWritesMax: number; batchIntervalMs: number }): Backend =>
        kind === 'memory' ? MemoryBackend.open(options) : LmdbBackend.open(join(dir, `db${options.batchWritesMax}`), options);
      const byCount = open({ batchWritesMax: 3, batchIntervalMs: 60_000 });
      byCount.put('meta', b('x'), b('1'));
      byCount.put('meta', b('y'), b('2'));
      await sleep(30);
      assert.equal(byCount.pendingWrites, 2, 'below the limit nothing commits');
      byCount.put('meta', b('z'), b('3'));
      await sleep(30);
      assert.equal(byCount.pendingWrites, 0, 'the third write committed the batch');
      await byCount.close();

      const byTime = open({ batchWritesMax: 1000, batchIntervalMs: 20 });
      byTime.put('meta', b('w'), b('4'));
      assert.equal(byTime.pendingWrites, 1);
      await sleep(80);
      assert.equal(byTime.pendingWrites, 0, 'the interval committed it');
      assert.equal(byTime.get('meta', b('w'))?.toString(), '4');
      await byTime.close();
    }));
}

test('memory: uncommitted writes are not in the committed copy', async () => {
  const be = MemoryBackend.open();
  be.put('key', b('kept'), b('1'));
  await be.commit();
  be.put('key', b('lost'), b('2'));
  be.delete('key', b('kept'));
  const crashed = be.committedCopy();
  assert.equal(crashed.get('key', b('kept'))?.toString(), '1');
  assert.equal(crashed.get('key', b('lost')), undefined);
  await crashed.close();
  await be.close();
});

test('lmdb: committed data survives reopening, an uncommitted batch does not', () =>
  withTempDir(async (dir) => {
    const path = join(dir, 'db');
    const be = LmdbBackend.open(path);
    be.put('key', b('a'), b('1'));
    be.put('members', b('m'), b('member'));
    await be.commit();
    be.put('key', b('b'), b('2'));
    be.delete('key', b('a'));
    // Copy the file as a crash would leave it: the pending batch is only in memory.
    const { copyFileSync } = await import('node:fs');
    copyFileSync(path, join(dir, 'crashed'));
    assert.ok(be.sizeBytes() > 0);
    assert.ok(be.sizeInUseBytes() > 0);
    assert.ok(be.sizeInUseBytes() <= be.sizeBytes());
    await be.close();

    const crashed = LmdbBackend.open(join(dir, 'crashed'));
    assert.equal(crashed.get('key', b('a'))?.toString(), '1');
    assert.equal(crashed.get('key', b('b')), undefined);
    assert.equal(crashed.get('members', b('m'))?.toString(), 'member');
    await crashed.close();

    const reopened = LmdbBackend.open(path);
    assert.equal(reopened.get('key', b('a')), undefined);
    assert.equal(reopened.get('key', b('b'))?.toString(), '2');
    await reopened.copyTo(join(dir, 'copy'), true);
    await reopened.close();
    assert.ok(existsSync(join(dir, 'copy')));
    const copy = LmdbBackend.open(join(dir, 'copy'));
    assert.equal(copy.get('key', b('b'))?.toString(), '2');
    await copy.close();
  }));

test('memory: copyTo writes an lmdb file holding the committed state', () =>
  withTempDir(async (dir) => {
    const be = MemoryBackend.open();
    be.put('auth', b('enabled'), b('1'));
    await be.copyTo(join(dir, 'snap'), false);
    await be.close();
    const snap = LmdbBackend.open(join(dir, 'snap'));
    assert.equal(snap.get('auth', b('enabled'))?.toString(), '1');
    await snap.close();
  }));

test('lmdb: defragment shrinks the file and keeps every entry, including ones written meanwhile', () =>
  withTempDir(async (dir) => {
    const path = join(dir, 'db');
    const be = LmdbBackend.open(path);
    const big = Buffer.alloc(1000, 'x');
    for (let i = 0; i < 2000; i++) be.put('key', b(`k${String(i).padStart(5, '0')}`), big);
    await be.commit();
    for (let i = 0; i < 2000; i++) if (i % 100 !== 0) be.delete('key', b(`k${String(i).padStart(5, '0')}`));
    await be.commit();
    const before = be.sizeBytes();
    const defrag = be.defragment();
    be.put('key', b('during'), b('kept'));
    assert.equal(be.get('key', b('k00100'))?.length, 1000, 'reads work while defragmenting');
    await defrag;
    assert.ok(be.sizeBytes() < before / 4, `file shrank from ${before} to ${be.sizeBytes()}`);
    assert.equal(be.range('key', b('k'), b('l'), 0).length, 20);
    assert.equal(be.get('key', b('during'))?.toString(), 'kept');
    be.put('key', b('after'), b('1'));
    await be.close();
    assert.equal(existsSync(`${path}.defrag`), false);

    const reopened = LmdbBackend.open(path);
    assert.equal(reopened.get('key', b('during'))?.toString(), 'kept');
    assert.equal(reopened.get('key', b('after'))?.toString(), '1');
    assert.equal(reopened.range('key', b('k'), b('l'), 0).length, 20);
    await reopened.close();
  }));

test('memory: ranges over pending, committing and committed layers match a simple model', async () => {
  let seed = 11;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const be = MemoryBackend.open({ batchWritesMax: 1_000_000, batchIntervalMs: 60_000 });
  const model = new Map<string, string>();
  const commits: Array<Promise<void>> = [];
  for (let step = 0; step < 3000; step++) {
    const k = `k${String(rand(300)).padStart(3, '0')}`;
    const op = rand(10);
    if (op < 6) {
      be.put('key', b(k), b(String(step)));
      model.set(k, String(step));
    } else if (op < 9) {
      be.delete('key', b(k));
      model.delete(k);
    } else {
      commits.push(be.commit());
    }
    if (step % 100 === 0) {
      const from = `k${String(rand(300)).padStart(3, '0')}`;
      const expected = [...model.keys()].filter((x) => x >= from).sort().slice(0, 25);
      assert.deepEqual(keysOf(be.range('key', b(from), undefined, 25)), expected, `step ${step}`);
      await Promise.resolve();
    }
  }
  await Promise.all(commits);
  await be.commit();
  const all = be.range('key', b(''), undefined, 0);
  assert.deepEqual(all.map((e) => `${e.key.toString()}=${e.value.toString()}`), [...model].sort().map(([k, v]) => `${k}=${v}`));
  await be.close();
});

test('lmdb: entries returned by get and range stay intact after later reads', () =>
  withTempDir(async (dir) => {
    const be = LmdbBackend.open(join(dir, 'db'));
    for (let i = 0; i < 300; i++) be.put('key', b(`k${String(i).padStart(3, '0')}`), b(`v${i}`));
    await be.commit();
    const first = be.get('key', b('k001'));
    const entries = be.range('key', Buffer.alloc(0), undefined, 0);
    be.range('key', b('k100'), undefined, 50);
    be.get('key', b('k299'));
    assert.equal(first?.toString(), 'v1');
    assert.deepEqual(
      entries.map((e) => `${e.key.toString()}=${e.value.toString()}`),
      Array.from({ length: 300 }, (_, i) => `k${String(i).padStart(3, '0')}=v${i}`),
    );
    await be.close();
  }));
