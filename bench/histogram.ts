// Log-linear latency histogram (HDR-like): exact below 128 µs, then 64 sub-buckets per
// power of two, so any recorded value is reported within about 1.6% of its true value.

/** Sub-buckets per power of two; 64 keeps the relative error under 1/64. */
const SUB_BUCKET_BITS = 6;
const SUB_BUCKET_COUNT = 1 << SUB_BUCKET_BITS;
/** Largest recordable value; larger ones are clamped (about 35 minutes in µs). */
export const HISTOGRAM_VALUE_MAX_US = 2 ** 31 - 1;
const BUCKET_COUNT = (31 - SUB_BUCKET_BITS) * SUB_BUCKET_COUNT + 2 * SUB_BUCKET_COUNT;

/** Plain-data form that crosses worker_threads and JSON unchanged; buckets are sparse [index, count]. */
export interface HistogramData {
  buckets: Array<[number, number]>;
  total: number;
  minUs: number;
  maxUs: number;
  sumUs: number;
}

export interface Percentiles {
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  meanMs: number;
}

export function bucketIndexOf(valueUs: number): number {
  const v = Math.min(HISTOGRAM_VALUE_MAX_US, Math.max(0, Math.round(valueUs)));
  if (v < 2 * SUB_BUCKET_COUNT) return v;
  const msb = 31 - Math.clz32(v);
  const shift = msb - SUB_BUCKET_BITS;
  return shift * SUB_BUCKET_COUNT + (v >>> shift);
}

/** Highest value that maps to the bucket, as HDR reports it ("highest equivalent value"). */
export function bucketUpperUs(index: number): number {
  if (index < 2 * SUB_BUCKET_COUNT) return index;
  const shift = Math.floor(index / SUB_BUCKET_COUNT) - 1;
  const mantissa = index - shift * SUB_BUCKET_COUNT;
  return (mantissa + 1) * 2 ** shift - 1;
}

export class Histogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private total = 0;
  private minUs = Number.POSITIVE_INFINITY;
  private maxUs = 0;
  private sumUs = 0;

  record(valueUs: number): void {
    const index = bucketIndexOf(valueUs);
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.total += 1;
    if (valueUs < this.minUs) this.minUs = valueUs;
    if (valueUs > this.maxUs) this.maxUs = valueUs;
    this.sumUs += valueUs;
  }

  count(): number {
    return this.total;
  }

  merge(other: HistogramData): void {
    for (const [index, count] of other.buckets) {
      if (index >= 0 && index < BUCKET_COUNT) this.counts[index] = (this.counts[index] ?? 0) + count;
    }
    this.total += other.total;
    if (other.total > 0) {
      this.minUs = Math.min(this.minUs, other.minUs);
      this.maxUs = Math.max(this.maxUs, other.maxUs);
    }
    this.sumUs += other.sumUs;
  }

  /** Value at quantile q in [0, 1], in µs; never above the recorded maximum. */
  quantileUs(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i += 1) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(bucketUpperUs(i), this.maxUs);
    }
    return this.maxUs;
  }

  percentiles(): Percentiles {
    const ms = (us: number): number => us / 1000;
    return {
      p50Ms: ms(this.quantileUs(0.5)),
      p90Ms: ms(this.quantileUs(0.9)),
      p99Ms: ms(this.quantileUs(0.99)),
      p999Ms: ms(this.quantileUs(0.999)),
      maxMs: ms(this.maxUs),
      meanMs: this.total === 0 ? 0 : ms(this.sumUs / this.total),
    };
  }

  toData(): HistogramData {
    return {
      buckets: this.sparseBuckets(),
      total: this.total,
      minUs: this.total === 0 ? 0 : this.minUs,
      maxUs: this.maxUs,
      sumUs: this.sumUs,
    };
  }

  private sparseBuckets(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < BUCKET_COUNT; i += 1) {
      const c = this.counts[i] ?? 0;
      if (c > 0) out.push([i, c]);
    }
    return out;
  }

  static fromData(data: HistogramData): Histogram {
    const h = new Histogram();
    h.merge(data);
    return h;
  }
}
