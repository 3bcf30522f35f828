// Tallies of what the nemesis and the network did during runs, by kind, so a
// soak can say how much chaos its "no anomalies" survived.

export type FaultKind =
  | 'message-drop' | 'message-duplicate' | 'message-delay'
  | 'partition' | 'isolate-leader' | 'heal'
  | 'crash' | 'leader-kill' | 'restart' | 'lost-unsynced-writes'
  | 'clock-skew' | 'snapshot-compaction' | 'client-message-lost';

export class FaultCounts {
  private readonly counts = new Map<FaultKind, number>();

  add(kind: FaultKind, n = 1): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + n);
  }

  get(kind: FaultKind): number {
    return this.counts.get(kind) ?? 0;
  }

  addAll(other: FaultCounts): void {
    for (const [kind, n] of other.counts) this.add(kind, n);
  }

  toRecord(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}
