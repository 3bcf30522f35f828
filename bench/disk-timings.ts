// The servers' own disk timings over a round, read from their /metrics before and after
// it: how many WAL syncs took longer than 1 ms (a put waits for its sync, so these make
// the put latency tail at low load) and how long backend commits took on average (a
// commit's syncs share the disk with the WAL's). Both servers export the same histograms
// (etcd_disk_wal_fsync_duration_seconds, etcd_disk_backend_commit_duration_seconds).

export interface DiskCounters {
  walSyncs: number;
  walSyncsUpTo1ms: number;
  backendCommits: number;
  backendCommitSeconds: number;
}

export interface DiskTimings {
  walSyncs: number;
  /** Share of WAL syncs above 1 ms, in percent. */
  walSyncsOver1msPct: number;
  backendCommitMeanMs: number;
}

const SCRAPE_TIMEOUT_MS = 5_000;
const NO_COUNTERS: DiskCounters = { walSyncs: 0, walSyncsUpTo1ms: 0, backendCommits: 0, backendCommitSeconds: 0 };

function sampleValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** The counters in one /metrics page (Prometheus text format). */
export function diskCountersFromText(text: string): DiskCounters {
  return {
    walSyncs: sampleValue(text, 'etcd_disk_wal_fsync_duration_seconds_count'),
    walSyncsUpTo1ms: sampleValue(text, 'etcd_disk_wal_fsync_duration_seconds_bucket{le="0.001"}'),
    backendCommits: sampleValue(text, 'etcd_disk_backend_commit_duration_seconds_count'),
    backendCommitSeconds: sampleValue(text, 'etcd_disk_backend_commit_duration_seconds_sum'),
  };
}

/** Counters summed over every endpoint (a cluster's members). */
export async function scrapeDiskCounters(endpoints: readonly string[]): Promise<DiskCounters> {
  const sum = { ...NO_COUNTERS };
  for (const endpoint of endpoints) {
    const response = await fetch(`http://${endpoint}/metrics`, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
    const one = diskCountersFromText(await response.text());
    sum.walSyncs += one.walSyncs;
    sum.walSyncsUpTo1ms += one.walSyncsUpTo1ms;
    sum.backendCommits += one.backendCommits;
    sum.backendCommitSeconds += one.backendCommitSeconds;
  }
  return sum;
}

export function diskTimingsBetween(before: DiskCounters, after: DiskCounters): DiskTimings {
  const walSyncs = after.walSyncs - before.walSyncs;
  const slow = walSyncs - (after.walSyncsUpTo1ms - before.walSyncsUpTo1ms);
  const commits = after.backendCommits - before.backendCommits;
  return {
    walSyncs,
    walSyncsOver1msPct: walSyncs > 0 ? (slow / walSyncs) * 100 : Number.NaN,
    backendCommitMeanMs: commits > 0 ? ((after.backendCommitSeconds - before.backendCommitSeconds) / commits) * 1000 : Number.NaN,
  };
}
