// The contract between the MVCC store and its users (the applier, watch, hash):
// synchronous read and write views over revisioned keys. Everything here runs on
// the one event-loop thread, so a view is consistent for as long as the caller
// holds it without awaiting.
import type { Event, KeyValue } from '../generated/mvccpb/kv.js';
import type { PackedRecords } from './packed-records.js';
import type { KeyVersion } from './key-versions.js';

export interface RangeOptions {
  /** Revision to read at; 0 reads at the view's own revision. */
  readonly revision: number;
  /** Most keys to return; 0 returns all. */
  readonly limit: number;
  /** Count only; kvs come back empty. */
  readonly countOnly: boolean;
  /**
   * Return the keys as their stored mvccpb.KeyValue records in `records`, not
   * decoded in `kvs` (which comes back empty): a caller that only forwards them
   * skips a decode and a re-encode per key.
   */
  readonly encoded?: boolean;
}

export interface RangeResult {
  /** Live keys at the revision, ascending by key bytes, at most `limit`. */
  readonly kvs: KeyValue[];
  /** With options.encoded: the same keys' stored mvccpb.KeyValue records, in the same order. */
  readonly records?: PackedRecords;
  /** How many live keys the range holds at the revision, regardless of limit. */
  readonly count: number;
  /** The revision the read was served at. */
  readonly revision: number;
}

/**
 * Key range convention everywhere: `rangeEnd` empty is the single key `key`;
 * `rangeEnd` = [0x00] is every key >= `key`; otherwise [key, rangeEnd).
 * A `key` of [0x00] with `rangeEnd` [0x00] is every key.
 */
export interface ReadView {
  /** The newest revision this view sees. */
  readonly revision: number;
  /** Revisions at or below this have been compacted away (0: none). */
  readonly compactRevision: number;
  /**
   * Throws EtcdError('Compacted') if options.revision <= compactRevision (and is not 0),
   * EtcdError('FutureRev') if options.revision > revision.
   */
  range(key: Buffer, rangeEnd: Buffer, options: RangeOptions): RangeResult;
  /** The live keys in [key, rangeEnd) at the view's revision with their version and revisions, from the index alone. */
  keyVersions(key: Buffer, rangeEnd: Buffer): KeyVersion[];
}

/** The local store as code beside the apply loop reads it synchronously. */
export interface LocalStore {
  /** Only while readable: a snapshot being installed makes its records come and go. */
  read(): ReadView;
  readonly readable: boolean;
  /** Resolves once readable (rejects if an install failed half way). */
  whenReadable(): Promise<void>;
}

export interface WriteView extends ReadView {
  /**
   * Writes at revision (store revision + 1). Sub-revisions count the changes
   * inside it. After the first change, `revision` (and reads at revision 0)
   * see the pending revision, so later ops of a txn see earlier ones.
   */
  put(key: Buffer, value: Buffer, lease: bigint): void;
  /** Deletes every live key in the range; returns how many were deleted. */
  deleteRange(key: Buffer, rangeEnd: Buffer): number;
}

export interface WriteResult {
  /** The store revision after the write (unchanged if the write changed nothing). */
  readonly revision: number;
  /** The changes, in sub-revision order; prevKv is filled when the store's prevKvWanted() said so. */
  readonly events: Event[];
}

export interface WriteTxn extends WriteView {
  /** Publishes the write: revision advances by one if anything changed. */
  end(): WriteResult;
}

export interface HashKVResult {
  readonly hash: number;
  readonly compactRevision: number;
  readonly hashRevision: number;
}
