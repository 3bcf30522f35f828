// Reading past changes by revision for watch catch-up: the `key` bucket is in
// revision order, so events come straight from a bounded scan of it.
import { Event_EventType, KeyValue, type Event } from '../generated/mvccpb/kv.js';
import { assert } from '../util/assert.js';
import { toIndexRange, type IndexRange } from './key-index.js';
import { tryReadKv, type StoreState } from './range-reader.js';
import { isTombstoneKey, parseRevisionMain, revisionBytes } from './revision.js';

/** Records examined per call before returning, so one watcher cannot hog the loop. */
export const HISTORY_SCAN_RECORDS_MAX = 10_000;
/** Records read from the backend per chunk. */
const HISTORY_CHUNK_RECORDS = 1000;

export interface HistoryBatch {
  readonly events: Event[];
  /** Where the next call continues; toRevision + 1 once everything was read. */
  readonly nextRevision: number;
}

function inRange(range: IndexRange, k: string): boolean {
  if (range.single) return k === range.from;
  return k >= range.from && (range.to === undefined || k < range.to);
}

function prevKvOf(store: StoreState, k: string, beforeRevision: number): KeyValue | undefined {
  const at = store.index.history(k)?.get(beforeRevision);
  return at === undefined ? undefined : tryReadKv(store.backend, at.modified);
}

/**
 * Stops only between revisions, once it has maxEvents events or has examined
 * HISTORY_SCAN_RECORDS_MAX records; a single revision with more events than
 * maxEvents is still returned whole.
 */
export function readHistory(
  store: StoreState,
  fromRevision: number,
  toRevision: number,
  key: Buffer,
  rangeEnd: Buffer,
  maxEvents: number,
  withPrevKv: boolean,
): HistoryBatch {
  assert(maxEvents >= 1, 'maxEvents must be at least 1');
  const events: Event[] = [];
  if (fromRevision > toRevision) return { events, nextRevision: fromRevision };
  const range = toIndexRange(key, rangeEnd);
  const end = revisionBytes(toRevision + 1, 0);
  let start = revisionBytes(fromRevision, 0);
  let currentMain = -1;
  let scanned = 0;
  for (;;) {
    const chunk = store.backend.range('key', start, end, HISTORY_CHUNK_RECORDS);
    for (const { key: revKey, value } of chunk) {
      const main = parseRevisionMain(revKey);
      if (main !== currentMain) {
        if (events.length >= maxEvents || scanned >= HISTORY_SCAN_RECORDS_MAX) return { events, nextRevision: main };
        currentMain = main;
      }
      scanned++;
      const kv = KeyValue.decode(value);
      const k = kv.key.toString('latin1');
      if (!inRange(range, k)) continue;
      const type = isTombstoneKey(revKey) ? Event_EventType.DELETE : Event_EventType.PUT;
      events.push({ type, kv, prevKv: withPrevKv ? prevKvOf(store, k, main - 1) : undefined });
    }
    if (chunk.length < HISTORY_CHUNK_RECORDS) return { events, nextRevision: toRevision + 1 };
    start = Buffer.concat([(chunk[chunk.length - 1] as { key: Buffer }).key, Buffer.from([0])]);
  }
}
