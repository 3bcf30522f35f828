// Groups events by watcher for one delivery, with etcd's cap on how many
// distinct revisions one catch-up response may carry.
import type { Event } from '../generated/mvccpb/kv.js';
import type { Watcher } from './watcher.js';
import type { WatcherGroup } from './watcher-group.js';

/** Distinct revisions per catch-up response (etcd's watchBatchMaxRevs). */
export const WATCH_BATCH_REVISIONS_MAX = 1000;

export interface EventBatch {
  readonly events: Event[];
  revisions: number;
  /** Non-zero: the batch is full and the watcher continues from this revision. */
  moreRevision: number;
}

function addToBatch(batch: EventBatch, event: Event, revision: number): void {
  if (batch.moreRevision !== 0) return;
  const last = batch.events[batch.events.length - 1];
  if (last === undefined) {
    batch.revisions = 1;
    batch.events.push(event);
    return;
  }
  if (revision > Number(last.kv?.modRevision ?? 0n)) {
    if (batch.revisions >= WATCH_BATCH_REVISIONS_MAX) {
      batch.moreRevision = revision;
      return;
    }
    batch.revisions++;
  }
  batch.events.push(event);
}

/**
 * Events in revision order, each to the watchers of its key that have not
 * seen its revision yet (a watcher never gets a revision twice).
 */
export function batchByWatcher(group: WatcherGroup, events: readonly Event[]): Map<Watcher, EventBatch> {
  const batches = new Map<Watcher, EventBatch>();
  for (const event of events) {
    const kv = event.kv;
    if (kv === undefined) continue;
    const revision = Number(kv.modRevision);
    group.matching(kv.key.toString('latin1'), (watcher) => {
      if (revision < watcher.minRevision) return;
      let batch = batches.get(watcher);
      if (batch === undefined) {
        batch = { events: [], revisions: 0, moreRevision: 0 };
        batches.set(watcher, batch);
      }
      addToBatch(batch, event, revision);
    });
  }
  return batches;
}
