// A member's simulated disk: what raft reads (the page cache) and what would
// survive a power cut (the fsynced copy). A crash throws away unsynced writes.

import { MemoryStorage } from '../../src/raft/storage.js';
import type { ConfState, Entry, HardState, Snapshot } from '../../src/raft/types.js';

type DiskWrite =
  | { readonly kind: 'append'; readonly entries: readonly Entry[] }
  | { readonly kind: 'hard-state'; readonly hardState: HardState }
  | { readonly kind: 'snapshot'; readonly snapshot: Snapshot };

export class SimDisk {
  /** What the running member sees; may hold writes that are not yet durable. */
  volatile: MemoryStorage;
  private durable: MemoryStorage;
  private unsynced: DiskWrite[] = [];

  constructor(private readonly founders: ConfState) {
    this.volatile = new MemoryStorage(founders);
    this.durable = new MemoryStorage(founders);
  }

  get unsyncedWrites(): number {
    return this.unsynced.length;
  }

  appendEntries(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    this.volatile.append(entries);
    this.unsynced.push({ kind: 'append', entries });
  }

  setHardState(hardState: HardState): void {
    this.volatile.setHardState(hardState);
    this.unsynced.push({ kind: 'hard-state', hardState });
  }

  installSnapshot(snapshot: Snapshot): void {
    this.volatile.applySnapshot(snapshot);
    this.unsynced.push({ kind: 'snapshot', snapshot });
  }

  /** Makes every write so far durable. */
  fsync(): void {
    for (const w of this.unsynced) {
      switch (w.kind) {
        case 'append': this.durable.append(w.entries); break;
        case 'hard-state': this.durable.setHardState(w.hardState); break;
        case 'snapshot': this.durable.applySnapshot(w.snapshot); break;
      }
    }
    this.unsynced = [];
  }

  /**
   * The application's own snapshot at `index`, saved durably at once, then the
   * log before it is dropped. As etcd's snapshot save syncs the WAL, earlier
   * writes become durable too: a durable snapshot beyond a durable commit could not boot.
   */
  snapshotAndCompact(index: number, confState: ConfState, data: Uint8Array): void {
    this.fsync();
    for (const storage of [this.volatile, this.durable]) {
      storage.createSnapshot(index, confState, data);
      storage.compact(index);
    }
  }

  /** Power cut: the page cache is gone; returns how many writes were lost. */
  crash(): number {
    const lost = this.unsynced.length;
    this.unsynced = [];
    this.volatile = copyStorage(this.durable, this.founders);
    return lost;
  }
}

function copyStorage(from: MemoryStorage, founders: ConfState): MemoryStorage {
  const snap = from.snapshot();
  const copy = new MemoryStorage(snap.metadata.index > 0 ? snap.metadata.confState : founders);
  if (snap.metadata.index > 0) copy.applySnapshot(snap);
  const first = copy.firstIndex();
  const last = from.lastIndex();
  if (last >= first) copy.append(from.entries(first, last + 1, Number.MAX_SAFE_INTEGER));
  copy.setHardState(from.initialState().hardState);
  return copy;
}
