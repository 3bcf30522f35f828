// Sizing of log entries for the byte limits on messages, Ready batches and
// uncommitted proposals.

import type { Entry } from './types.js';

/** Rough per-entry framing cost (term, index, type, tags) in the encoded form. */
const ENTRY_OVERHEAD_BYTES = 24;

/** No limit on a batch's size. */
export const NO_LIMIT_BYTES = Number.MAX_SAFE_INTEGER;

export function entrySizeBytes(entry: Entry): number {
  return entry.data.length + ENTRY_OVERHEAD_BYTES;
}

/** Payload bytes only; what counts against the uncommitted-proposal budget. */
export function payloadSizeBytes(entries: readonly Entry[]): number {
  let total = 0;
  for (const e of entries) total += e.data.length;
  return total;
}

/**
 * The longest prefix of `entries` within `maxSizeBytes`, but never empty when
 * `entries` is not: one oversized entry must still make progress.
 */
export function limitSize(entries: Entry[], maxSizeBytes: number): Entry[] {
  if (entries.length === 0) return entries;
  let size = 0;
  let count = 0;
  for (const e of entries) {
    size += entrySizeBytes(e);
    if (count > 0 && size > maxSizeBytes) break;
    count++;
  }
  return count === entries.length ? entries : entries.slice(0, count);
}
