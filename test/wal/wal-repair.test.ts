// Crash repair: a torn tail of the last segment is cut off and appends continue;
// damage that a crash cannot explain is refused with the file and byte offset.
import assert from 'node:assert/strict';
import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Entry } from '../../src/raft/types.js';
import { Wal } from '../../src/wal/wal.js';
import { WalCorruptError } from '../../src/wal/wal-errors.js';
import { METADATA, SMALL_SEGMENTS, lastSegmentFile, makeEntries, makeEntry, recordsOf, withTempDir } from './wal-fixtures.js';

const SAVED: Entry[] = makeEntries(1, 8, 1, 100);
/** Saved last, alone, with a size that makes its frame span several sectors. */
const TAIL_ENTRY = makeEntry(9, 1, 1500);

/** One save per entry (one write each), then the tail entry as the very last record; tailEnd ends its payload. */
async function writeLog(dir: string): Promise<{ file: string; tailStart: number; tailEnd: number }> {
  const wal = await Wal.create(dir, METADATA, SMALL_SEGMENTS);
  await wal.save({ term: 1, vote: 1n, commit: 0 }, []);
  for (const entry of SAVED) await wal.save(null, [entry]);
  await wal.save(null, [TAIL_ENTRY]);
  await wal.close();
  const file = await lastSegmentFile(dir);
  const last = (await recordsOf(dir, file)).at(-1);
  assert.ok(last !== undefined && last.record.type === 3);
  return { file, tailStart: last.offsetBytes, tailEnd: last.offsetBytes + 16 + 17 + 1500 };
}

async function expectRecovered(dir: string, expected: readonly Entry[]): Promise<void> {
  const opened = await Wal.open(dir, SMALL_SEGMENTS);
  try {
    assert.deepEqual(opened.entries, expected);
    await opened.wal.save(null, [makeEntry(expected.length + 1, 2, 10)]);
  } finally {
    await opened.wal.close();
  }
  const again = await Wal.open(dir, SMALL_SEGMENTS);
  try {
    assert.deepEqual(again.entries, [...expected, makeEntry(expected.length + 1, 2, 10)]);
    assert.equal(again.repair, null, 'a repaired log needs no second repair');
  } finally {
    await again.wal.close();
  }
}

function sampleOffsets(start: number, end: number, count: number): number[] {
  const offsets = new Set<number>([start, start + 1, start + 15, start + 16, end - 1]);
  for (let i = 0; i < count; i++) offsets.add(start + Math.floor(((end - start) * i) / count));
  return [...offsets].sort((a, b) => a - b);
}

test('a last record cut short at any of 50 offsets is dropped and appends continue', async () => {
  await withTempDir(async (dir) => {
    const { file, tailStart, tailEnd } = await writeLog(dir);
    const path = join(dir, file);
    const original = await readFile(path);
    for (const cut of sampleOffsets(tailStart, tailEnd, 50)) {
      await writeFile(path, original);
      await truncate(path, cut);
      await expectRecovered(dir, SAVED);
    }
  });
});

test('a last record zeroed from any of 50 offsets onward is dropped and appends continue', async () => {
  await withTempDir(async (dir) => {
    const { file, tailStart, tailEnd } = await writeLog(dir);
    const path = join(dir, file);
    const original = await readFile(path);
    for (const from of sampleOffsets(tailStart, tailEnd, 50)) {
      const torn = Buffer.from(original);
      torn.fill(0, from, tailEnd);
      await writeFile(path, torn);
      const opened = await Wal.open(dir, SMALL_SEGMENTS);
      await opened.wal.close();
      if (from > tailStart) {
        // Only the surviving (non-zero) head of the torn record needs clearing.
        assert.equal(opened.repair?.file, file);
        assert.equal(opened.repair.offsetBytes, tailStart);
        assert.ok(opened.repair.discardedBytes > 0 && opened.repair.discardedBytes <= from - tailStart);
      }
      await writeFile(path, torn);
      await expectRecovered(dir, SAVED);
    }
  });
});

test('a CRC mismatch in the final record is a torn write: the record is dropped', async () => {
  await withTempDir(async (dir) => {
    const { file, tailStart } = await writeLog(dir);
    const bytes = await readFile(join(dir, file));
    bytes[tailStart + 700] = (bytes[tailStart + 700] ?? 0) ^ 0xff;
    await writeFile(join(dir, file), bytes);
    await expectRecovered(dir, SAVED);
  });
});

test('a damaged record followed by good records is fatal and names file and offset', async () => {
  await withTempDir(async (dir) => {
    const { file } = await writeLog(dir);
    const records = await recordsOf(dir, file);
    const middle = records.find((r) => r.record.type === 3 && r.record.entry.index === 4);
    assert.ok(middle !== undefined);
    const bytes = await readFile(join(dir, file));
    bytes[middle.offsetBytes + 50] = (bytes[middle.offsetBytes + 50] ?? 0) ^ 0x10;
    await writeFile(join(dir, file), bytes);

    await assert.rejects(Wal.open(dir, SMALL_SEGMENTS), (error: unknown) => {
      assert.ok(error instanceof WalCorruptError);
      assert.equal(error.file, file);
      assert.equal(error.offsetBytes, middle.offsetBytes);
      assert.match(error.message, new RegExp(`${file} at byte offset ${middle.offsetBytes}: CRC mismatch`));
      return true;
    });
  });
});

test('an old record zeroed out, with later writes intact, is fatal: a crash cannot do that', async () => {
  await withTempDir(async (dir) => {
    const { file } = await writeLog(dir);
    const records = await recordsOf(dir, file);
    const middle = records.find((r) => r.record.type === 3 && r.record.entry.index === 2);
    assert.ok(middle !== undefined);
    const bytes = await readFile(join(dir, file));
    bytes.fill(0, middle.offsetBytes, middle.offsetBytes + 24);
    await writeFile(join(dir, file), bytes);
    await assert.rejects(Wal.open(dir, SMALL_SEGMENTS), WalCorruptError);
  });
});

test('sectors of the final write persisted out of order: the whole final write is dropped', async () => {
  await withTempDir(async (dir) => {
    const wal = await Wal.create(dir, METADATA, SMALL_SEGMENTS);
    await wal.save({ term: 1, vote: 1n, commit: 0 }, SAVED);
    // The final write: ten 400-byte entries, about 4 KiB, many sectors.
    await wal.save(null, makeEntries(9, 10, 1, 400));
    await wal.close();
    const file = await lastSegmentFile(dir);
    const records = await recordsOf(dir, file);
    const firstOfFinal = records.find((r) => r.record.type === 3 && r.record.entry.index === 9);
    assert.ok(firstOfFinal !== undefined);
    // One sector inside the final write never reached the disk; the ones after it did.
    const sector = Math.ceil((firstOfFinal.offsetBytes + 600) / 512) * 512;
    const bytes = await readFile(join(dir, file));
    bytes.fill(0, sector, sector + 512);
    await writeFile(join(dir, file), bytes);

    const opened = await Wal.open(dir, SMALL_SEGMENTS);
    try {
      // Entry 9 ends before the hole and survives; from the damaged record on, the write is gone.
      const kept = opened.entries.length;
      assert.ok(kept >= 8 && kept < 18, `kept ${kept}`);
      assert.deepEqual(opened.entries, [...SAVED, ...makeEntries(9, 10, 1, 400)].slice(0, kept));
      assert.ok(opened.repair !== null && opened.repair.offsetBytes < sector);
    } finally {
      await opened.wal.close();
    }
  });
});

test('a lost sector in an acknowledged write, with the final write intact after it, is fatal', async () => {
  await withTempDir(async (dir) => {
    const wal = await Wal.create(dir, METADATA, SMALL_SEGMENTS);
    await wal.save({ term: 1, vote: 1n, commit: 0 }, SAVED);
    await wal.save(null, makeEntries(9, 10, 1, 400));
    await wal.save(null, makeEntries(19, 2, 1, 10));
    await wal.close();
    const file = await lastSegmentFile(dir);
    const records = await recordsOf(dir, file);
    const entry9 = records.find((r) => r.record.type === 3 && r.record.entry.index === 9);
    assert.ok(entry9 !== undefined);
    const sector = Math.ceil((entry9.offsetBytes + 600) / 512) * 512;
    const bytes = await readFile(join(dir, file));
    bytes.fill(0, sector, sector + 512);
    await writeFile(join(dir, file), bytes);

    // Survivors from two writes: the damaged one was acknowledged, so this is no crash.
    await assert.rejects(Wal.open(dir, SMALL_SEGMENTS), WalCorruptError);
  });
});
