// Rebuilding the key index at start-up from the `key` bucket, read in
// revision order in bounded chunks.
import type { Backend } from '../backend/backend.js';
import { KeyValue } from '../generated/mvccpb/kv.js';
import { assert } from '../util/assert.js';
import type { KeyIndex } from './key-index.js';
import { isTombstoneKey, parseRevisionMain, parseRevisionSub, revisionBytes } from './revision.js';

/** etcd's restoreChunkKeys: records read from the backend per chunk. */
const RESTORE_CHUNK_RECORDS = 10_000;

/** Fills `index`; returns the newest main revision found (0 if none). */
export function restoreIndex(backend: Backend, index: KeyIndex): number {
  let start = revisionBytes(1, 0);
  let newest = 0;
  // Every full chunk moves `start` past its last key, so the scan ends.
  for (;;) {
    const chunk = backend.range('key', start, undefined, RESTORE_CHUNK_RECORDS);
    for (const { key: revKey, value } of chunk) {
      const main = parseRevisionMain(revKey);
      const sub = parseRevisionSub(revKey);
      newest = Math.max(newest, main);
      const kv = KeyValue.decode(value);
      const k = kv.key.toString('latin1');
      if (isTombstoneKey(revKey)) {
        // A tombstone whose put was already compacted away (an interrupted
        // compaction) has nothing left to end; the resumed compaction drops it.
        const h = index.history(k);
        if (h !== undefined && h.isLive()) h.tombstone(main, sub);
        continue;
      }
      index.historyFor(k).restorePut(main, sub, Number(kv.createRevision), Number(kv.version));
    }
    if (chunk.length < RESTORE_CHUNK_RECORDS) return newest;
    const last = (chunk[chunk.length - 1] as { key: Buffer }).key;
    const next = Buffer.concat([last, Buffer.from([0])]);
    assert(Buffer.compare(next, start) > 0, 'index restore made no progress');
    start = next;
  }
}
