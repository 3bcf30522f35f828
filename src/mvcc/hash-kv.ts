// etcd 3.5's HashByRev: CRC-32C seeded with the bucket name "key" over each
// (revision key, value) record up to the revision, skipping compacted-away
// revisions that a compaction at that revision would not keep.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { crc32cUpdate } from './crc32c.js';
import type { HashKVResult } from './kv-view.js';
import type { StoreState } from './range-reader.js';
import { parseRevisionMain, parseRevisionSub, revisionBytes, revisionId } from './revision.js';

const KEY_BUCKET_NAME = Buffer.from('key');
/** Records hashed per event-loop turn. */
const HASH_CHUNK_RECORDS = 10_000;
/** Keys examined per event-loop turn while finding the kept revisions. */
const HASH_KEEP_CHUNK_KEYS = 10_000;

export interface HashableStore extends StoreState {
  readonly currentRevision: number;
}

async function keptRevisions(store: HashableStore, atRev: number): Promise<Set<string>> {
  const keep = new Set<string>();
  let from: string | undefined = '';
  // Each chunk resumes after the last key it saw, so the walk ends.
  while (from !== undefined) {
    from = store.index.keepChunk(atRev, from, HASH_KEEP_CHUNK_KEYS, keep);
    if (from !== undefined) await yieldToEventLoop();
  }
  return keep;
}

/**
 * Yields between chunks. The caller runs it exclusive of compactions, and
 * writes meanwhile only add revisions above the hashed one, so the hash is of
 * one consistent state.
 */
export async function hashKeyBucket(store: HashableStore, revision: number): Promise<HashKVResult> {
  const hashRevision = revision === 0 ? store.currentRevision : revision;
  const compactRevision = store.compactRevision;
  const keep = await keptRevisions(store, hashRevision);
  const lowerMain = compactRevision + 1;
  const end = revisionBytes(hashRevision + 1, 0);
  let start = revisionBytes(0, 0);
  let hash = crc32cUpdate(0, KEY_BUCKET_NAME);
  // Each full chunk moves `start` past its last key, so the scan ends.
  for (;;) {
    const chunk = store.backend.range('key', start, end, HASH_CHUNK_RECORDS);
    for (const { key, value } of chunk) {
      const main = parseRevisionMain(key);
      // As etcd: an empty keep set means nothing is skipped.
      if (main < lowerMain && keep.size > 0 && !keep.has(revisionId(main, parseRevisionSub(key)))) continue;
      hash = crc32cUpdate(hash, key);
      hash = crc32cUpdate(hash, value);
    }
    if (chunk.length < HASH_CHUNK_RECORDS) return { hash, compactRevision, hashRevision };
    start = Buffer.concat([(chunk[chunk.length - 1] as { key: Buffer }).key, Buffer.from([0])]);
    await yieldToEventLoop();
  }
}
