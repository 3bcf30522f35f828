// Snapshot files: saved atomically under etcd's names, loaded newest-valid first,
// damaged files set aside, old files purged; and the WAL says which were committed.
import assert from 'node:assert/strict';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Snapshot } from '../../src/raft/types.js';
import { Snapshotter } from '../../src/wal/snapshotter.js';
import { validSnapshotMarkers } from '../../src/wal/valid-snapshot-markers.js';
import { Wal } from '../../src/wal/wal.js';
import { METADATA, SMALL_SEGMENTS, makeEntries, withTempDir } from './wal-fixtures.js';

function snapshotAt(index: number, term: number): Snapshot {
  return {
    metadata: { index, term, confState: { voters: [1n, 0xffffffffffffffffn], learners: [7n] } },
    data: new TextEncoder().encode(`state at ${index}`),
  };
}

test('the newest snapshot comes back exactly as saved, under etcd\'s file name', async () => {
  await withTempDir(async (dir) => {
    const snapshotter = new Snapshotter(join(dir, 'snap'));
    assert.equal(await snapshotter.loadNewest(), null);
    await snapshotter.save(snapshotAt(10, 2));
    await snapshotter.save(snapshotAt(20, 3));
    assert.deepEqual(await readdir(join(dir, 'snap')), [
      '0000000000000002-000000000000000a.snap',
      '0000000000000003-0000000000000014.snap',
    ]);
    assert.deepEqual(await snapshotter.loadNewest(), snapshotAt(20, 3));
    assert.deepEqual(await snapshotter.loadNewest((m) => m.index === 10), snapshotAt(10, 2));
  });
});

test('a damaged newest file is set aside as .broken and the one before it is loaded', async () => {
  await withTempDir(async (dir) => {
    const snapshotter = new Snapshotter(dir);
    await snapshotter.save(snapshotAt(10, 2));
    await snapshotter.save(snapshotAt(20, 3));
    const newest = join(dir, '0000000000000003-0000000000000014.snap');
    const bytes = await readFile(newest);
    bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
    await writeFile(newest, bytes);

    assert.deepEqual(await snapshotter.loadNewest(), snapshotAt(10, 2));
    assert.ok((await readdir(dir)).includes('0000000000000003-0000000000000014.snap.broken'));
  });
});

test('purge keeps the newest max-snapshots files', async () => {
  await withTempDir(async (dir) => {
    const snapshotter = new Snapshotter(dir);
    for (let i = 1; i <= 7; i++) await snapshotter.save(snapshotAt(i * 10, 1));
    assert.equal(await snapshotter.purge(5), 2);
    assert.equal(await snapshotter.purge(0), 0);
    const left = (await readdir(dir)).sort();
    assert.equal(left.length, 5);
    assert.equal(left[0], '0000000000000001-000000000000001e.snap');
  });
});

test('only snapshot markers at or below the committed index count as valid', async () => {
  await withTempDir(async (dir) => {
    const wal = await Wal.create(dir, METADATA, SMALL_SEGMENTS);
    await wal.save({ term: 1, vote: 1n, commit: 5 }, makeEntries(1, 8, 1));
    await wal.saveSnapshot({ index: 5, term: 1 });
    await wal.saveSnapshot({ index: 8, term: 1 });
    await wal.close();
    assert.deepEqual(await validSnapshotMarkers(dir), [
      { index: 0, term: 0 },
      { index: 5, term: 1 },
    ]);
  });
});
