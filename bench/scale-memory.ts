// A server's resident memory as the scale check reads it from /proc: now, and its peak
// since the last reset (writing 5 to clear_refs resets VmHWM, so one phase's peak can be
// told apart from the load before it), plus a sampler for RSS over time.
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { processTree, sampleProcess } from './proc-stats.js';

const BYTES_PER_MB = 1024 * 1024;
/** Bound on the samples one tracker keeps (at 250 ms, over an hour). */
const SAMPLES_MAX = 16_384;

export interface RssSample {
  readonly atMs: number;
  readonly rssMb: number;
}

export class ServerMemory {
  constructor(private readonly pid: number) {}

  rssMb(): number {
    return sampleProcess(this.pid).rssBytes / BYTES_PER_MB;
  }

  peakMb(): number {
    return sampleProcess(this.pid).peakRssBytes / BYTES_PER_MB;
  }

  /** Starts a new peak at the current RSS; false if the kernel refused (then peaks cover the whole run). */
  resetPeak(): boolean {
    let ok = true;
    for (const pid of processTree(this.pid)) {
      try {
        writeFileSync(`/proc/${pid}/clear_refs`, '5');
      } catch {
        ok = false;
      }
    }
    return ok;
  }

  /** Samples RSS every intervalMs until the returned stop() is called. */
  track(intervalMs: number): { readonly samples: readonly RssSample[]; stop(): void } {
    const samples: RssSample[] = [];
    const startedMs = Date.now();
    const take = (): void => {
      if (samples.length < SAMPLES_MAX) samples.push({ atMs: Date.now() - startedMs, rssMb: this.rssMb() });
    };
    take();
    const timer = setInterval(take, intervalMs);
    return { samples, stop: () => (clearInterval(timer), take()) };
  }
}

/** The last sample taken at or before atMs (the first sample if none). */
export function rssAt(samples: readonly RssSample[], atMs: number): number {
  let found = samples[0]?.rssMb ?? Number.NaN;
  for (const sample of samples) if (sample.atMs <= atMs) found = sample.rssMb;
  return found;
}

/** The 1, 5 and 15-minute load averages, as printed next to every number. */
export function hostLoad(): string {
  return loadavg().map((load) => load.toFixed(2)).join(' ');
}
