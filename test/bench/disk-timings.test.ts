// The compare tables' disk rows come from the servers' own histograms: the share of
// WAL syncs above 1 ms and the mean backend commit over a round.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diskCountersFromText, diskTimingsBetween } from '../../bench/disk-timings.js';

const page = (syncs: number, fast: number, commits: number, commitSeconds: number): string =>
  [
    '# HELP etcd_disk_wal_fsync_duration_seconds The latency distributions of fsync called by WAL.',
    '# TYPE etcd_disk_wal_fsync_duration_seconds histogram',
    `etcd_disk_wal_fsync_duration_seconds_bucket{le="0.0005"} ${fast - 1}`,
    `etcd_disk_wal_fsync_duration_seconds_bucket{le="0.001"} ${fast}`,
    `etcd_disk_wal_fsync_duration_seconds_bucket{le="+Inf"} ${syncs}`,
    `etcd_disk_wal_fsync_duration_seconds_sum 1.5`,
    `etcd_disk_wal_fsync_duration_seconds_count ${syncs}`,
    `etcd_disk_backend_commit_duration_seconds_sum ${commitSeconds}`,
    `etcd_disk_backend_commit_duration_seconds_count ${commits}`,
    '',
  ].join('\n');

test('a round counts only the syncs and commits made during it', () => {
  const before = diskCountersFromText(page(100, 90, 10, 0.02));
  const after = diskCountersFromText(page(1100, 1080, 60, 0.12));
  const timings = diskTimingsBetween(before, after);
  assert.equal(timings.walSyncs, 1000);
  assert.ok(Math.abs(timings.walSyncsOver1msPct - 1) < 1e-9, `${timings.walSyncsOver1msPct}%`);
  assert.ok(Math.abs(timings.backendCommitMeanMs - 2) < 1e-9, `${timings.backendCommitMeanMs} ms`);
});

test('a server without the histograms gives no figures rather than zeros', () => {
  const none = diskCountersFromText('# nothing here\n');
  const timings = diskTimingsBetween(none, none);
  assert.equal(timings.walSyncs, 0);
  assert.ok(Number.isNaN(timings.walSyncsOver1msPct));
  assert.ok(Number.isNaN(timings.backendCommitMeanMs));
});
