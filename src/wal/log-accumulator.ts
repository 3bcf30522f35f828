// Replays records into the state Wal.open returns: metadata, the latest hard state
// and the entries after the snapshot, applying raft's rule that a later entry at
// an index already seen replaces that entry and everything after it.
import type { Entry, HardState } from '../raft/types.js';
import type { SnapshotMarker, WalRecord } from './record-payloads.js';
import { RecordType } from './record-payloads.js';

export type AccumulateProblem =
  | { readonly kind: 'metadata-conflict' }
  | { readonly kind: 'entry-gap'; readonly index: number; readonly lastIndex: number };

export class LogAccumulator {
  metadata: Uint8Array | null = null;
  hardState: HardState | null = null;
  readonly entries: Entry[] = [];
  snapshotFound: boolean;
  /** The index of the last entry or snapshot marker seen: names the next segment. */
  lastIndex = 0;

  constructor(private readonly snapshot: SnapshotMarker) {
    this.snapshotFound = snapshot.index === 0;
  }

  /** Returns a problem for the caller to report with file and offset, or null. */
  add(record: WalRecord): AccumulateProblem | null {
    switch (record.type) {
      case RecordType.SegmentHeader:
        return null;
      case RecordType.Metadata:
        if (this.metadata === null) this.metadata = record.metadata;
        else if (!sameBytes(this.metadata, record.metadata)) return { kind: 'metadata-conflict' };
        return null;
      case RecordType.HardState:
        this.hardState = record.hardState;
        return null;
      case RecordType.Snapshot:
        if (record.snapshot.index === this.snapshot.index && record.snapshot.term === this.snapshot.term) {
          this.snapshotFound = true;
        }
        this.lastIndex = Math.max(this.lastIndex, record.snapshot.index);
        return null;
      case RecordType.Entry:
        return this.addEntry(record.entry);
    }
  }

  private addEntry(entry: Entry): AccumulateProblem | null {
    this.lastIndex = entry.index;
    if (entry.index <= this.snapshot.index) return null;
    const position = entry.index - this.snapshot.index - 1;
    if (position > this.entries.length) {
      return { kind: 'entry-gap', index: entry.index, lastIndex: this.snapshot.index + this.entries.length };
    }
    this.entries.length = position;
    this.entries.push(entry);
    return null;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
