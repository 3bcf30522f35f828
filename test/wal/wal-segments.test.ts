// Segments: the log rolls over into etcd-named files, reads back across them,
// lets old files go, and refuses a chain of files that has been tampered with.
import assert from 'node:assert/strict';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseSegmentName } from '../../src/wal/segment-name.js';
import { Wal } from '../../src/wal/wal.js';
import { WalCorruptError } from '../../src/wal/wal-errors.js';
import { METADATA, SMALL_SEGMENTS, makeEntries, recordsOf, segmentFiles, withTempDir } from './wal-fixtures.js';

/** 40 saves of 10 entries of 1 KiB: about 400 KiB, so several 64 KiB segments. */
async function writeManySegments(dir: string, maxWals?: number): Promise<Wal> {
  const wal = await Wal.create(dir, METADATA, { ...SMALL_SEGMENTS, maxWals });
  for (let save = 0; save < 40; save++) {
    await wal.save({ term: 3, vote: 1n, commit: save * 10 }, makeEntries(save * 10 + 1, 10, 3, 1024));
  }
  return wal;
}

test('the log rolls into etcd-named segments and reads back whole across them', async () => {
  await withTempDir(async (dir) => {
    const wal = await writeManySegments(dir);
    await wal.close();

    const files = await segmentFiles(dir);
    assert.ok(files.length >= 5, `expected several segments, got ${files.join(', ')}`);
    assert.equal(files[0], '0000000000000000-0000000000000000.wal');
    const names = files.map((f) => parseSegmentName(f));
    names.forEach((name, i) => assert.equal(name?.seq, i));
    // Each later segment is named for the index after the last entry before it.
    for (const name of names.slice(1)) assert.equal(((name?.firstIndex ?? 0) - 1) % 10, 0);

    const opened = await Wal.open(dir, SMALL_SEGMENTS);
    try {
      assert.deepEqual(opened.entries, makeEntries(1, 400, 3, 1024));
      assert.deepEqual(opened.hardState, { term: 3, vote: 1n, commit: 390 });
      assert.deepEqual(opened.metadata, METADATA);
    } finally {
      await opened.wal.close();
    }
  });
});

test('opening at a snapshot after old segments were removed still finds metadata and hard state', async () => {
  await withTempDir(async (dir) => {
    const wal = await writeManySegments(dir, 1);
    await wal.saveSnapshot({ index: 350, term: 3 });
    const removed = await wal.releaseBefore(350);
    await wal.close();
    assert.ok(removed > 0);

    const files = await segmentFiles(dir);
    assert.ok(files.every((f) => (parseSegmentName(f)?.firstIndex ?? 0) > 0), 'the first segment is gone');
    const opened = await Wal.open(dir, { ...SMALL_SEGMENTS, snapshot: { index: 350, term: 3 } });
    try {
      assert.deepEqual(opened.metadata, METADATA);
      assert.deepEqual(opened.hardState, { term: 3, vote: 1n, commit: 390 });
      assert.deepEqual(opened.entries, makeEntries(351, 50, 3, 1024));
    } finally {
      await opened.wal.close();
    }
  });
});

test('releaseBefore removes only segments wholly below the index, keeping maxWals files', async () => {
  await withTempDir(async (dir) => {
    const wal = await writeManySegments(dir, 2);
    try {
      const before = await segmentFiles(dir);
      assert.equal(await wal.releaseBefore(1), 0, 'nothing lies wholly below index 1');
      const second = parseSegmentName(before[2] ?? '');
      assert.ok(second !== null);
      // Segments 0 and 1 hold only entries below segment 2's first index.
      assert.equal(await wal.releaseBefore(second.firstIndex), 2);
      assert.deepEqual(await segmentFiles(dir), before.slice(2));
      assert.equal(await wal.releaseBefore(1_000_000), before.length - 4, 'all but maxWals files go');
      assert.equal((await segmentFiles(dir)).length, 2);
    } finally {
      await wal.close();
    }
  });
});

test('with maxWals 0 nothing is ever removed', async () => {
  await withTempDir(async (dir) => {
    const wal = await writeManySegments(dir, 0);
    try {
      const before = await segmentFiles(dir);
      assert.equal(await wal.releaseBefore(1_000_000), 0);
      assert.deepEqual(await segmentFiles(dir), before);
    } finally {
      await wal.close();
    }
  });
});

test('a damaged record in an earlier segment is fatal and named', async () => {
  await withTempDir(async (dir) => {
    await (await writeManySegments(dir)).close();
    const files = await segmentFiles(dir);
    const victim = files[1] ?? '';
    const records = await recordsOf(dir, victim);
    const target = records[records.length - 1];
    assert.ok(target !== undefined);
    const bytes = await readFile(join(dir, victim));
    bytes[target.offsetBytes + 20] = (bytes[target.offsetBytes + 20] ?? 0) ^ 0x01;
    await writeFile(join(dir, victim), bytes);

    await assert.rejects(Wal.open(dir, SMALL_SEGMENTS), (error: unknown) => {
      assert.ok(error instanceof WalCorruptError);
      assert.equal(error.file, victim);
      assert.equal(error.offsetBytes, target.offsetBytes);
      assert.match(error.message, new RegExp(`${victim} at byte offset ${target.offsetBytes}`));
      return true;
    });
  });
});

test('two segments swapped under each other\'s names break the chain', async () => {
  await withTempDir(async (dir) => {
    await (await writeManySegments(dir)).close();
    const [, second, third] = await segmentFiles(dir);
    assert.ok(second !== undefined && third !== undefined);
    await rename(join(dir, second), join(dir, 'swap'));
    await rename(join(dir, third), join(dir, second));
    await rename(join(dir, 'swap'), join(dir, third));
    await assert.rejects(Wal.open(dir, SMALL_SEGMENTS), (error: unknown) => {
      return error instanceof WalCorruptError && error.file === second && /segment header says/.test(error.message);
    });
  });
});

test('a missing middle segment is fatal', async () => {
  await withTempDir(async (dir) => {
    await (await writeManySegments(dir)).close();
    const [, , third, fourth] = await segmentFiles(dir);
    assert.ok(third !== undefined && fourth !== undefined);
    await unlink(join(dir, third));
    await assert.rejects(Wal.open(dir, SMALL_SEGMENTS), (error: unknown) => {
      return error instanceof WalCorruptError && error.file === fourth && /sequence jumps/.test(error.message);
    });
  });
});

test('a segment of another WAL, even under the right name, is refused', async () => {
  await withTempDir(async (dir) => {
    const ours = join(dir, 'ours');
    const theirs = join(dir, 'theirs');
    await (await writeManySegments(ours)).close();
    await (await writeManySegments(theirs)).close();
    const [, second] = await segmentFiles(ours);
    assert.ok(second !== undefined);
    // Same writes, so the same names: only the WAL identity in the header tells them apart.
    assert.deepEqual(await segmentFiles(theirs), await segmentFiles(ours));
    await writeFile(join(ours, second), await readFile(join(theirs, second)));
    await assert.rejects(Wal.open(ours, SMALL_SEGMENTS), (error: unknown) => {
      return error instanceof WalCorruptError && error.file === second && /different WAL/.test(error.message);
    });
  });
});
