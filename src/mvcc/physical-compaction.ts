// Removing compacted history from the backend in bounded batches that commit
// and yield to the event loop in between, as etcd's scheduleCompaction does.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Backend } from '../backend/backend.js';
import { assert } from '../util/assert.js';
import { parseRevisionMain, parseRevisionSub, revisionBytes, revisionId } from './revision.js';
import { writeFinishedCompact } from './store-meta.js';

/** etcd's --experimental-compaction-batch-limit: revisions examined per batch. */
export const COMPACTION_BATCH_REVISIONS_DEFAULT = 1000;

/**
 * Deletes every `key` record at or below compactRev that is not in `keep`, then
 * records finishedCompactRev. Returns false if stopped before finishing (the
 * scheduled mark stays, so the next start-up resumes).
 */
export async function removeCompactedHistory(
  backend: Backend,
  compactRev: number,
  keep: ReadonlySet<string>,
  batchRevisions: number,
  stopped: () => boolean,
): Promise<boolean> {
  assert(batchRevisions >= 1, 'compaction batch limit must be at least 1');
  const end = revisionBytes(compactRev + 1, 0);
  let start = revisionBytes(0, 0);
  // Each pass consumes a full batch or finishes, and the range below compactRev
  // only shrinks, so the loop ends.
  for (;;) {
    const batch = backend.range('key', start, end, batchRevisions);
    for (const { key } of batch) {
      if (!keep.has(revisionId(parseRevisionMain(key), parseRevisionSub(key)))) backend.delete('key', key);
    }
    if (batch.length < batchRevisions) {
      writeFinishedCompact(backend, compactRev);
      await backend.commit();
      return true;
    }
    const last = (batch[batch.length - 1] as { key: Buffer }).key;
    const next = revisionBytes(parseRevisionMain(last), parseRevisionSub(last) + 1);
    assert(Buffer.compare(next, start) > 0, 'compaction made no progress');
    start = next;
    await backend.commit();
    await yieldToEventLoop();
    if (stopped()) return false;
  }
}
