// A WAL gives back, after close and reopen, exactly the metadata, latest hard
// state and entries that were saved, with raft's overwrite rule applied.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { test } from 'node:test';
import { EntryType } from '../../src/raft/types.js';
import { Wal } from '../../src/wal/wal.js';
import { isWalError } from '../../src/wal/wal-errors.js';
import { METADATA, SMALL_SEGMENTS, makeEntries, makeEntry, withTempDir } from './wal-fixtures.js';

test('metadata, the latest hard state and entries of many sizes survive close and reopen', async () => {
  await withTempDir(async (dir) => {
    const wal = await Wal.create(dir, METADATA);
    const sizes = [0, 1, 7, 8, 9, 100, 4096, 65537, 1024 * 1024];
    const entries = sizes.map((size, i) => makeEntry(i + 1, 1, size));
    await wal.save({ term: 1, vote: 0x8e9e05c52164694dn, commit: 0 }, entries.slice(0, 4));
    await wal.save({ term: 1, vote: 0x8e9e05c52164694dn, commit: 4 }, entries.slice(4));
    const conf = { index: 10, term: 1, type: EntryType.ConfChange, data: new Uint8Array([1, 2, 3]) };
    await wal.save({ term: 2, vote: 0n, commit: 9 }, [conf]);
    await wal.close();

    const reopened = await Wal.open(dir, SMALL_SEGMENTS);
    try {
      assert.deepEqual(reopened.metadata, METADATA);
      assert.deepEqual(reopened.hardState, { term: 2, vote: 0n, commit: 9 });
      assert.deepEqual(reopened.entries, [...entries, conf]);
      assert.equal(reopened.repair, null);
    } finally {
      await reopened.wal.close();
    }
  });
});

test('saves written inline and through the thread pool, interleaved and across segments, read back in order', async () => {
  await withTempDir(async (dir) => {
    const wal = await Wal.create(dir, METADATA, SMALL_SEGMENTS);
    // Sizes on both sides of the inline limit; four concurrent saves share batches of mixed kinds.
    const entries = Array.from({ length: 120 }, (_, i) => makeEntry(i + 1, 1, [10, 600, 3000, 5000][i % 4]));
    for (let at = 0; at < entries.length; at += 4) {
      const group = entries.slice(at, at + 4);
      await Promise.all(group.map((entry, i) => wal.save({ term: 1, vote: 1n, commit: at + i }, [entry], (at + i) % 3 !== 0)));
    }
    for (let i = 121; i <= 160; i++) await wal.save({ term: 1, vote: 1n, commit: i - 1 }, [makeEntry(i, 1, 200)], true);
    await wal.close();

    const reopened = await Wal.open(dir, SMALL_SEGMENTS);
    try {
      assert.deepEqual(reopened.entries, [...entries, ...makeEntries(121, 40, 1, 200)]);
      assert.deepEqual(reopened.hardState, { term: 1, vote: 1n, commit: 159 });
      assert.ok((await readdir(dir)).filter((n) => n.endsWith('.wal')).length > 2, 'the saves crossed segments');
    } finally {
      await reopened.wal.close();
    }
  });
});

test('a reopened WAL appends after what it read, and the next open sees both', async () => {
  await withTempDir(async (dir) => {
    const first = await Wal.create(dir, METADATA, SMALL_SEGMENTS);
    await first.save({ term: 1, vote: 1n, commit: 2 }, makeEntries(1, 3, 1));
    await first.close();

    const second = await Wal.open(dir, SMALL_SEGMENTS);
    assert.equal(second.entries.length, 3);
    await second.wal.save({ term: 1, vote: 1n, commit: 5 }, makeEntries(4, 3, 1));
    await second.wal.close();

    const third = await Wal.open(dir, SMALL_SEGMENTS);
    try {
      assert.deepEqual(third.entries, makeEntries(1, 6, 1));
      assert.deepEqual(third.hardState, { term: 1, vote: 1n, commit: 5 });
    } finally {
      await third.wal.close();
    }
  });
});

test('a new WAL with nothing saved opens with no hard state and no entries', async () => {
  await withTempDir(async (dir) => {
    await (await Wal.create(dir, METADATA, SMALL_SEGMENTS)).close();
    const opened = await Wal.open(dir, SMALL_SEGMENTS);
    try {
      assert.equal(opened.hardState, null);
      assert.deepEqual(opened.entries, []);
    } finally {
      await opened.wal.close();
    }
  });
});

test('an entry at an index already written replaces it and everything after it', async () => {
  await withTempDir(async (dir) => {
    const wal = await Wal.create(dir, METADATA, SMALL_SEGMENTS);
    await wal.save({ term: 1, vote: 1n, commit: 3 }, makeEntries(1, 6, 1));
    // A new leader at term 2 overwrites the uncommitted 4..6 with a shorter log.
    await wal.save({ term: 2, vote: 2n, commit: 3 }, makeEntries(4, 1, 2));
    await wal.save(null, makeEntries(5, 1, 2));
    await wal.close();

    const reopened = await Wal.open(dir, SMALL_SEGMENTS);
    try {
      assert.deepEqual(reopened.entries, [...makeEntries(1, 3, 1), ...makeEntries(4, 2, 2)]);
    } finally {
      await reopened.wal.close();
    }
  });
});

test('opening at a snapshot returns only the entries after it', async () => {
  await withTempDir(async (dir) => {
    const wal = await Wal.create(dir, METADATA, SMALL_SEGMENTS);
    await wal.save({ term: 1, vote: 1n, commit: 10 }, makeEntries(1, 10, 1));
    await wal.saveSnapshot({ index: 7, term: 1 });
    await wal.save(null, makeEntries(11, 2, 1));
    await wal.close();

    const opened = await Wal.open(dir, { ...SMALL_SEGMENTS, snapshot: { index: 7, term: 1 } });
    try {
      assert.deepEqual(opened.entries, makeEntries(8, 5, 1));
    } finally {
      await opened.wal.close();
    }
    await assert.rejects(Wal.open(dir, { ...SMALL_SEGMENTS, snapshot: { index: 7, term: 2 } }), (error: unknown) => {
      return isWalError(error) && error.code === 'WalSnapshotNotFound';
    });
  });
});

test('close is safe twice, and saving after close is refused', async () => {
  await withTempDir(async (dir) => {
    const wal = await Wal.create(dir, METADATA, SMALL_SEGMENTS);
    const pending = wal.save({ term: 1, vote: 0n, commit: 0 }, makeEntries(1, 1, 1));
    await Promise.all([wal.close(), wal.close()]);
    await pending;
    // No lock and no prepared segment is left behind: only the segment itself.
    assert.deepEqual(await readdir(dir), ['0000000000000000-0000000000000000.wal']);
    await assert.rejects(wal.save(null, makeEntries(2, 1, 1)), (e: unknown) => isWalError(e) && e.code === 'WalClosed');
    const reopened = await Wal.open(dir, SMALL_SEGMENTS);
    try {
      assert.deepEqual(reopened.entries, makeEntries(1, 1, 1));
    } finally {
      await reopened.wal.close();
    }
  });
});

test('create refuses a directory that already holds a WAL, open refuses one that holds none', async () => {
  await withTempDir(async (dir) => {
    await (await Wal.create(dir, METADATA, SMALL_SEGMENTS)).close();
    await assert.rejects(Wal.create(dir, METADATA, SMALL_SEGMENTS), (e: unknown) => isWalError(e) && e.code === 'WalExists');
    await assert.rejects(Wal.open(`${dir}/missing`), (e: unknown) => isWalError(e) && e.code === 'WalNotFound');
  });
});
