// What a txn compare on a key's version or revisions needs, read from the key
// index alone: those three numbers are the index's own, so no stored record is
// read or decoded (only VALUE and LEASE compares need the record).
import type { KeyIndex } from './key-index.js';
import { toIndexRange } from './key-index.js';

export interface KeyVersion {
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
}

/** The live keys in [key, rangeEnd) at `revision`, in key order (rangeEnd empty: `key` alone). */
export function keyVersionsAt(index: KeyIndex, key: Buffer, rangeEnd: Buffer, revision: number): KeyVersion[] {
  const found: KeyVersion[] = [];
  index.forEachLive(toIndexRange(key, rangeEnd), revision, (_k, _h, at) => {
    found.push({ createRevision: at.created, modRevision: at.modified.main, version: at.version });
  });
  return found;
}
