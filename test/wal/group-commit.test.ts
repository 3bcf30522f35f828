// Group commit: saves that arrive during a write+fsync share the next one, each
// promise settles only after the write that carried it, and the queue is bounded.
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { test } from 'node:test';
import { GroupCommitQueue, type GroupCommitLimits } from '../../src/wal/group-commit.js';
import { Wal } from '../../src/wal/wal.js';
import { isWalError } from '../../src/wal/wal-errors.js';
import { METADATA, SMALL_SEGMENTS, makeEntries, makeEntry, withTempDir } from './wal-fixtures.js';

const ROOMY: GroupCommitLimits = { maxQueuedItems: 100, maxQueuedBytes: 1 << 20, maxBatchBytes: 1 << 20, maxBlockedItems: 100 };

/** A disk whose writes finish only when the test says so. */
class ManualDisk {
  readonly batches: number[][] = [];
  private finishers: Array<(error?: Error) => void> = [];

  readonly write = (items: readonly number[]): Promise<void> => {
    this.batches.push([...items]);
    return new Promise((resolve, reject) => {
      this.finishers.push((error) => (error === undefined ? resolve() : reject(error)));
    });
  };

  async finishWrite(error?: Error): Promise<void> {
    const finish = this.finishers.shift();
    assert.ok(finish !== undefined, 'no write in flight');
    finish(error);
    await nextTurn();
  }
}

function track(promise: Promise<void>): { settled: () => string } {
  let state = 'pending';
  promise.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  return { settled: () => state };
}

test('saves arriving during a write wait and are all carried by the next single write', async () => {
  const disk = new ManualDisk();
  const queue = new GroupCommitQueue<number>(disk.write, ROOMY);
  const first = track(queue.submit(0, 1));
  await nextTurn();
  const later = Array.from({ length: 9 }, (_, i) => track(queue.submit(i + 1, 1)));
  assert.deepEqual(disk.batches, [[0]]);

  await disk.finishWrite();
  assert.equal(first.settled(), 'resolved');
  // The first write did not carry them, so they must still wait.
  assert.ok(later.every((p) => p.settled() === 'pending'));
  assert.deepEqual(disk.batches, [[0], [1, 2, 3, 4, 5, 6, 7, 8, 9]]);

  await disk.finishWrite();
  assert.ok(later.every((p) => p.settled() === 'resolved'));
  await queue.drain();
});

test('a full queue makes callers wait, and order is kept through the wait', async () => {
  const disk = new ManualDisk();
  const queue = new GroupCommitQueue<number>(disk.write, { ...ROOMY, maxQueuedItems: 2 });
  const saves = Array.from({ length: 7 }, (_, i) => queue.submit(i, 1));
  await nextTurn();
  // Seven callers and room for two: writes take two at a time, in submission order.
  for (let i = 0; i < 4; i++) await disk.finishWrite();
  await Promise.all(saves);
  assert.deepEqual(disk.batches, [[0, 1], [2, 3], [4, 5], [6]]);
});

test('callers beyond the blocked limit are refused rather than queued without bound', async () => {
  const disk = new ManualDisk();
  const queue = new GroupCommitQueue<number>(disk.write, { ...ROOMY, maxQueuedItems: 1, maxBlockedItems: 1 });
  const accepted = [queue.submit(0, 1), queue.submit(1, 1)];
  await assert.rejects(queue.submit(2, 1), (e: unknown) => isWalError(e) && e.code === 'WalFailed');
  await nextTurn();
  await disk.finishWrite();
  await disk.finishWrite();
  await Promise.all(accepted);
});

test('a failed write fails its batch, everything queued, and every later save', async () => {
  const disk = new ManualDisk();
  const queue = new GroupCommitQueue<number>(disk.write, ROOMY);
  const inFlight = queue.submit(0, 1);
  await nextTurn();
  const queued = queue.submit(1, 1);
  const failure = new Error('EIO: fdatasync failed');
  const outcomes = [assert.rejects(inFlight, failure), assert.rejects(queued, failure)];
  await disk.finishWrite(failure);
  await Promise.all(outcomes);
  await assert.rejects(queue.submit(2, 1), failure);
  assert.deepEqual(disk.batches, [[0]]);
});

test('200 callers arriving over time share far fewer than 50 fsyncs, and every save is on disk', async () => {
  await withTempDir(async (dir) => {
    const wal = await Wal.create(dir, METADATA, SMALL_SEGMENTS);
    const fsyncsAtStart = wal.stats.fsyncs;
    const saves: Promise<void>[] = [];
    for (let i = 1; i <= 200; i++) {
      const fsyncsAtSubmit = wal.stats.fsyncs;
      saves.push(
        wal.save({ term: 1, vote: 1n, commit: i - 1 }, [makeEntry(i, 1, 64)]).then(() => {
          assert.ok(wal.stats.fsyncs > fsyncsAtSubmit, `save ${i} resolved before any fsync after it`);
        }),
      );
      if (i % 4 === 0) await nextTurn();
    }
    await Promise.all(saves);
    const fsyncs = wal.stats.fsyncs - fsyncsAtStart;
    assert.equal(wal.stats.saves, 200);
    assert.ok(fsyncs < 200 / 4, `${fsyncs} fsyncs for 200 saves`);
    assert.ok(fsyncs > 1, 'callers really did arrive while writes were in flight');
    const { fsyncBucketCounts, fsyncSecondsTotal } = wal.stats;
    assert.equal(fsyncBucketCounts.reduce((a, b) => a + b, 0), wal.stats.fsyncs);
    assert.ok(fsyncSecondsTotal > 0);
    await wal.close();

    const opened = await Wal.open(dir, SMALL_SEGMENTS);
    try {
      assert.deepEqual(opened.entries, makeEntries(1, 200, 1, 64));
      assert.deepEqual(opened.hardState, { term: 1, vote: 1n, commit: 199 });
    } finally {
      await opened.wal.close();
    }
  });
});
