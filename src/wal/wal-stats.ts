// Counters the WAL keeps for metrics: saves, fsyncs, bytes written and a histogram
// of fsync durations with the buckets of etcd_disk_wal_fsync_duration_seconds.

/** etcd's buckets: 1 ms doubling 14 times (up to about 8 s). */
export const FSYNC_BUCKET_UPPER_SECONDS: readonly number[] = Array.from({ length: 14 }, (_, i) => 0.001 * 2 ** i);

export interface WalStats {
  readonly saves: number;
  readonly fsyncs: number;
  readonly bytesWritten: number;
  readonly fsyncSecondsTotal: number;
  readonly fsyncSecondsMax: number;
  /** Count of fsyncs at or under each FSYNC_BUCKET_UPPER_SECONDS bound (not cumulative); last slot is +Inf. */
  readonly fsyncBucketCounts: readonly number[];
}

export class WalStatsRecorder {
  private saves = 0;
  private fsyncs = 0;
  private bytesWritten = 0;
  private fsyncSecondsTotal = 0;
  private fsyncSecondsMax = 0;
  private readonly buckets: number[] = new Array<number>(FSYNC_BUCKET_UPPER_SECONDS.length + 1).fill(0);

  recordSave(): void {
    this.saves++;
  }

  recordWrite(bytes: number): void {
    this.bytesWritten += bytes;
  }

  recordFsync(seconds: number): void {
    this.fsyncs++;
    this.fsyncSecondsTotal += seconds;
    this.fsyncSecondsMax = Math.max(this.fsyncSecondsMax, seconds);
    const bucket = FSYNC_BUCKET_UPPER_SECONDS.findIndex((upper) => seconds <= upper);
    const slot = bucket < 0 ? FSYNC_BUCKET_UPPER_SECONDS.length : bucket;
    this.buckets[slot] = (this.buckets[slot] ?? 0) + 1;
  }

  snapshot(): WalStats {
    return {
      saves: this.saves,
      fsyncs: this.fsyncs,
      bytesWritten: this.bytesWritten,
      fsyncSecondsTotal: this.fsyncSecondsTotal,
      fsyncSecondsMax: this.fsyncSecondsMax,
      fsyncBucketCounts: [...this.buckets],
    };
  }
}
