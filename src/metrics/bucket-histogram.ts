// A Prometheus histogram whose buckets are kept elsewhere (the WAL counts its own
// fsyncs), shaped as prom-client's registry expects a metric to report itself.
import type { Metric } from 'prom-client';

export interface BucketCounts {
  /** Per-bucket (not cumulative) counts, one per upper bound and a last one for +Inf. */
  readonly counts: readonly number[];
  readonly sum: number;
}

interface SampleValue {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

interface HistogramReport {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly values: SampleValue[];
  readonly aggregator: 'sum';
}

function report(name: string, help: string, upperBounds: readonly number[], snapshot: BucketCounts): HistogramReport {
  const values: SampleValue[] = [];
  let cumulative = 0;
  upperBounds.forEach((upper, index) => {
    cumulative += snapshot.counts[index] ?? 0;
    values.push({ metricName: `${name}_bucket`, labels: { le: upper }, value: cumulative });
  });
  cumulative += snapshot.counts[upperBounds.length] ?? 0;
  values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: cumulative });
  values.push({ metricName: `${name}_sum`, labels: {}, value: snapshot.sum });
  values.push({ metricName: `${name}_count`, labels: {}, value: cumulative });
  return { name, help, type: 'histogram', values, aggregator: 'sum' };
}

/** prom-client's registry only calls get() (and reads name/help) on a registered metric. */
export function bucketHistogram(name: string, help: string, upperBounds: readonly number[], read: () => BucketCounts | null): Metric {
  const metric = {
    name,
    help,
    get: async (): Promise<HistogramReport> => report(name, help, upperBounds, read() ?? { counts: [], sum: 0 }),
    reset: (): void => undefined,
  };
  return metric as unknown as Metric;
}
