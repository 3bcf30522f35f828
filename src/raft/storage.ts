// The stable-storage view the raft core reads its persisted log through, and an
// in-memory implementation for tests and for servers that mirror their WAL in memory.

import { assert } from '../util/assert.js';
import {
  CompactedError,
  SnapshotOutOfDateError,
  UnavailableError,
} from './errors.js';
import { limitSize } from './entry-size.js';
import {
  EntryType,
  NO_MEMBER,
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
} from './types.js';

export interface InitialState {
  readonly hardState: HardState;
  readonly confState: ConfState;
}

/**
 * Reads of what is already persisted. Index/term errors are thrown as
 * CompactedError (below firstIndex) or UnavailableError (above lastIndex).
 */
export interface RaftStorage {
  initialState(): InitialState;
  /** Entries in [lo, hi), at least one if any, at most maxSizeBytes otherwise. */
  entries(lo: number, hi: number, maxSizeBytes: number): Entry[];
  /** Term of entry i; valid for firstIndex()-1 ..lastIndex(). */
  term(i: number): number;
  firstIndex(): number;
  lastIndex(): number;
  /** The latest snapshot; may throw SnapshotTemporarilyUnavailableError. */
  snapshot(): Snapshot;
}

export const EMPTY_HARD_STATE: HardState = { term: 0, vote: NO_MEMBER, commit: 0 };
export const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [] };

export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === NO_MEMBER && hs.commit === 0;
}

export function isEmptySnapshot(snap: Snapshot | undefined): boolean {
  return snap === undefined || snap.metadata.index === 0;
}

function emptySnapshot(confState: ConfState): Snapshot {
  return { metadata: { index: 0, term: 0, confState }, data: new Uint8Array(0) };
}

/**
 * Keeps the log in an array whose first element is a placeholder carrying the
 * index and term of the last compacted entry (the snapshot point).
 */
export class MemoryStorage implements RaftStorage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot;
  private ents: Entry[];

  /** A brand-new cluster starts from the founding members' ConfState. */
  constructor(confState: ConfState = EMPTY_CONF_STATE) {
    this.snap = emptySnapshot(confState);
    this.ents = [{ term: 0, index: 0, type: EntryType.Normal, data: new Uint8Array(0) }];
  }

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  entries(lo: number, hi: number, maxSizeBytes: number): Entry[] {
    const offset = this.offset();
    if (lo <= offset) throw new CompactedError();
    if (hi > this.lastIndex() + 1) throw new UnavailableError();
    return limitSize(this.ents.slice(lo - offset, hi - offset), maxSizeBytes);
  }

  term(i: number): number {
    const offset = this.offset();
    if (i < offset) throw new CompactedError();
    const entry = this.ents[i - offset];
    if (entry === undefined) throw new UnavailableError();
    return entry.term;
  }

  firstIndex(): number {
    return this.offset() + 1;
  }

  lastIndex(): number {
    return this.offset() + this.ents.length - 1;
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  applySnapshot(snap: Snapshot): void {
    if (snap.metadata.index <= this.snap.metadata.index) throw new SnapshotOutOfDateError();
    this.snap = snap;
    this.ents = [placeholder(snap.metadata.index, snap.metadata.term)];
  }

  /** Records a snapshot of the application's state at index i (which must be held). */
  createSnapshot(i: number, confState: ConfState | undefined, data: Uint8Array): Snapshot {
    if (i <= this.snap.metadata.index) throw new SnapshotOutOfDateError();
    assert(i <= this.lastIndex(), `snapshot index ${i} is beyond last index ${this.lastIndex()}`);
    const term = this.term(i);
    const cs = confState ?? this.snap.metadata.confState;
    this.snap = { metadata: { index: i, term, confState: cs }, data };
    return this.snap;
  }

  /** Discards entries up to and including compactIndex (the placeholder takes its place). */
  compact(compactIndex: number): void {
    const offset = this.offset();
    if (compactIndex <= offset) throw new CompactedError();
    assert(compactIndex <= this.lastIndex(), `compact ${compactIndex} beyond last ${this.lastIndex()}`);
    const term = this.term(compactIndex);
    this.ents = [placeholder(compactIndex, term), ...this.ents.slice(compactIndex - offset + 1)];
  }

  /** Appends entries, replacing any conflicting suffix; entries must be contiguous with the log. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const firstHeld = this.firstIndex();
    const last = first.index + entries.length - 1;
    if (last < firstHeld) return;
    const fresh = first.index < firstHeld ? entries.slice(firstHeld - first.index) : entries;
    const start = fresh[0];
    assert(start !== undefined, 'non-empty append lost its entries');
    const at = start.index - this.offset();
    assert(at <= this.ents.length, `append at ${start.index} leaves a gap after ${this.lastIndex()}`);
    // In place: copying the whole log on every append would be quadratic in its length.
    this.ents.length = at;
    for (const e of fresh) this.ents.push(e);
  }

  private offset(): number {
    const head = this.ents[0];
    assert(head !== undefined, 'memory storage lost its placeholder entry');
    return head.index;
  }
}

function placeholder(index: number, term: number): Entry {
  return { term, index, type: EntryType.Normal, data: new Uint8Array(0) };
}
