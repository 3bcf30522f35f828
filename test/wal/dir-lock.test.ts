// The directory lock: one WAL per directory at a time; a lock left by a process
// that died does not keep the WAL closed forever.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Wal } from '../../src/wal/wal.js';
import { isWalError } from '../../src/wal/wal-errors.js';
import { METADATA, SMALL_SEGMENTS, withTempDir } from './wal-fixtures.js';

const isLocked = (e: unknown): boolean => isWalError(e) && e.code === 'WalLocked';

test('a second open of a WAL in use is refused until the first closes', async () => {
  await withTempDir(async (dir) => {
    const wal = await Wal.create(dir, METADATA, SMALL_SEGMENTS);
    await assert.rejects(Wal.open(dir, SMALL_SEGMENTS), isLocked);
    await assert.rejects(Wal.create(dir, METADATA, SMALL_SEGMENTS), isLocked);
    await wal.close();

    const reopened = await Wal.open(dir, SMALL_SEGMENTS);
    await assert.rejects(Wal.open(dir, SMALL_SEGMENTS), isLocked);
    await reopened.wal.close();
  });
});

test('a lock left behind by a dead process is taken over', async () => {
  await withTempDir(async (dir) => {
    await (await Wal.create(dir, METADATA, SMALL_SEGMENTS)).close();
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(child.stdout.toString());
    assert.ok(deadPid > 0);
    await writeFile(join(dir, 'LOCK'), `${deadPid}\n`);

    const opened = await Wal.open(dir, SMALL_SEGMENTS);
    await opened.wal.close();
  });
});

test('a lock naming our own pid, left by an earlier process that had the same pid, is taken over', async () => {
  await withTempDir(async (dir) => {
    await (await Wal.create(dir, METADATA, SMALL_SEGMENTS)).close();
    await writeFile(join(dir, 'LOCK'), `${process.pid}\n`);
    const opened = await Wal.open(dir, SMALL_SEGMENTS);
    await assert.rejects(Wal.open(dir, SMALL_SEGMENTS), isLocked);
    await opened.wal.close();
  });
});

test('of two opens racing in one process, exactly one gets the WAL', async () => {
  await withTempDir(async (dir) => {
    await (await Wal.create(dir, METADATA, SMALL_SEGMENTS)).close();
    const outcomes = await Promise.allSettled([Wal.open(dir, SMALL_SEGMENTS), Wal.open(dir, SMALL_SEGMENTS)]);
    const winners = outcomes.filter((o) => o.status === 'fulfilled');
    const losers = outcomes.filter((o) => o.status === 'rejected');
    assert.equal(winners.length, 1);
    assert.ok(losers.every((o) => isLocked(o.reason)));
    for (const o of winners) await o.value.wal.close();
  });
});
