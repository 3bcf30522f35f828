// etcd_disk_backend_commit_duration_seconds times the commit itself, as etcd times its
// bolt commit: not the time a commit waited for a busy event loop before it could begin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbBackend } from '../../src/backend/lmdb-backend.js';

/** How long the event loop is kept busy right after the commit is asked for. */
const BUSY_MS = 500;
/** A one-entry commit on this machine's disk takes a few ms; far below the busy time. */
const COMMIT_SECONDS_MAX = 0.4;
const MICROTASKS = 5;

test('a commit that waited for a busy event loop is timed from when it began', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ts-commit-timing-'));
  const backend = LmdbBackend.open(join(dir, 'db'));
  try {
    backend.put('key', Buffer.from('k'), Buffer.from('v'));
    const committed = backend.commit();
    // A few microtasks: the commit has begun and asked lmdb-js for its write transaction.
    for (let i = 0; i < MICROTASKS; i++) await Promise.resolve();
    const busyUntil = performance.now() + BUSY_MS;
    // Bounded by the clock: the loop cannot run the commit's transaction meanwhile.
    while (performance.now() < busyUntil);
    await committed;
    const stats = backend.commitStats;
    assert.equal(stats.bucketCounts.reduce((sum, n) => sum + n, 0), 1, 'one commit was timed');
    assert.ok(stats.secondsTotal < COMMIT_SECONDS_MAX, `the commit was timed at ${stats.secondsTotal.toFixed(3)} s, the busy loop included`);
    assert.ok(stats.secondsTotal > 0);
  } finally {
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
