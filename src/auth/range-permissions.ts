// One user's key permissions merged into sorted, disjoint intervals (etcd keeps an
// interval tree per user): a check is a binary search, not a scan of every role.
import { Permission_Type, type Permission } from '../generated/authpb/auth.js';

/** [start, end); end null: every key from start on. */
interface Interval {
  readonly start: Buffer;
  readonly end: Buffer | null;
}

const ZERO = Buffer.from([0]);

function isFromKey(rangeEnd: Buffer): boolean {
  return rangeEnd.length === 1 && rangeEnd[0] === 0;
}

/** The interval a (key, rangeEnd) pair names, in etcd's conventions (empty end: one key; "\0": from key). */
export function intervalOf(key: Buffer, rangeEnd: Buffer): Interval {
  if (rangeEnd.length === 0) return { start: key, end: Buffer.concat([key, ZERO]) };
  if (isFromKey(rangeEnd)) return { start: key, end: null };
  return { start: key, end: rangeEnd };
}

function endAtLeast(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null) return true;
  if (b === null) return false;
  return Buffer.compare(a, b) >= 0;
}

/** Sorts and merges overlapping or touching intervals. */
function merge(intervals: Interval[]): Interval[] {
  const valid = intervals.filter((ivl) => ivl.end === null || Buffer.compare(ivl.start, ivl.end) < 0);
  valid.sort((a, b) => Buffer.compare(a.start, b.start));
  const merged: Interval[] = [];
  for (const ivl of valid) {
    const last = merged[merged.length - 1];
    if (last !== undefined && (last.end === null || Buffer.compare(ivl.start, last.end) <= 0)) {
      merged[merged.length - 1] = { start: last.start, end: endAtLeast(last.end, ivl.end) ? last.end : ivl.end };
    } else {
      merged.push(ivl);
    }
  }
  return merged;
}

export class MergedIntervals {
  private constructor(private readonly intervals: readonly Interval[]) {}

  static of(intervals: Interval[]): MergedIntervals {
    return new MergedIntervals(merge(intervals));
  }

  /** Whether one merged interval covers all of [key, rangeEnd) (so their union covers it). */
  covers(key: Buffer, rangeEnd: Buffer): boolean {
    const found = this.lastStartingAtOrBefore(key);
    if (found === undefined) return false;
    // One key (no allocation on the hot path): inside when below the interval's end.
    if (rangeEnd.length === 0) return found.end === null || Buffer.compare(key, found.end) < 0;
    if (isFromKey(rangeEnd)) return found.end === null;
    // An empty or inverted range names no key beyond its start.
    if (Buffer.compare(key, rangeEnd) >= 0) return found.end === null || Buffer.compare(key, found.end) < 0;
    return endAtLeast(found.end, rangeEnd);
  }

  private lastStartingAtOrBefore(key: Buffer): Interval | undefined {
    let low = 0;
    let high = this.intervals.length - 1;
    let found: Interval | undefined;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const candidate = this.intervals[mid] as Interval;
      if (Buffer.compare(candidate.start, key) <= 0) {
        found = candidate;
        low = mid + 1;
      } else {
        high = mid - 1;
      }
    }
    return found;
  }
}

export interface UserPermissions {
  readonly read: MergedIntervals;
  readonly write: MergedIntervals;
}

export function mergePermissions(permissions: readonly Permission[]): UserPermissions {
  const read: Interval[] = [];
  const write: Interval[] = [];
  for (const perm of permissions) {
    const ivl = intervalOf(perm.key, perm.rangeEnd);
    if (perm.permType === Permission_Type.READ || perm.permType === Permission_Type.READWRITE) read.push(ivl);
    if (perm.permType === Permission_Type.WRITE || perm.permType === Permission_Type.READWRITE) write.push(ivl);
  }
  return { read: MergedIntervals.of(read), write: MergedIntervals.of(write) };
}
