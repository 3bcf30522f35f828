// Keeps V8's old-generation limit well above the live heap in the etcd-ts process.
//
// V8 starts a full mark-compact whenever the room left under the old generation's
// limit is smaller than what one scavenge could promote (the young generation's
// capacity, 16 MiB semi-spaces once a server is busy). Left to itself V8 sets the
// limit at about twice the live heap, so a server with a small heap (tens of MiB)
// is always inside that margin and runs a full collection every 0.7 s under load
// (watch-16: the collections, 20-25 ms of wall time each on 2 cores, were most of
// the put and event p99; docs/benchmarks.md, "Fifth session"). After each full
// collection this sets the next limit to the live heap plus a fixed headroom: much
// more room for a small heap, and less than V8's own factor for a large one, so the
// extra memory is bounded by the headroom.
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/** Old-generation room kept above the live heap after a full collection. */
export const OLD_GENERATION_HEADROOM_BYTES = 64 * 1024 * 1024;
/** The growing factor stays within 1.1x (V8's own floor) and 5x the live heap. */
export const GROWING_PERCENT_MIN = 10;
export const GROWING_PERCENT_MAX = 400;

/** The heap growing percent (V8's --heap-growing-percent) that leaves the headroom above `liveBytes`. */
export function growingPercentFor(liveBytes: number): number {
  const percent = Math.ceil((OLD_GENERATION_HEADROOM_BYTES / Math.max(liveBytes, 1)) * 100);
  return Math.min(GROWING_PERCENT_MAX, Math.max(GROWING_PERCENT_MIN, percent));
}

function isFullCollection(entry: PerformanceEntry): boolean {
  const detail = (entry as PerformanceEntry & { readonly detail?: unknown }).detail as { kind?: number } | null | undefined;
  return detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
}

export interface HeapHeadroom {
  /** The growing percent last set. */
  readonly percent: number;
  stop(): void;
}

/**
 * Applies the headroom now and after every full collection. V8 reads the flag when
 * it sets the next limit, so a changed percent takes effect from the next collection on.
 */
export function keepHeapHeadroom(): HeapHeadroom {
  let current = 0;
  const apply = (): void => {
    const percent = growingPercentFor(getHeapStatistics().used_heap_size);
    if (percent === current) return;
    setFlagsFromString(`--heap-growing-percent=${percent}`);
    current = percent;
  };
  apply();
  const observer = new PerformanceObserver((list) => {
    if (list.getEntries().some(isFullCollection)) apply();
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    get percent() {
      return current;
    },
    stop: () => observer.disconnect(),
  };
}
