// The nemesis: at each of its turns, maybe one fault, chosen by a seeded roll:
// partitions, leader isolation, crashes, leader kills, healing, compaction.

import type { MemberId } from '../../src/raft/types.js';
import type { SeededRandom } from '../../src/util/seeded-random.js';
import type { FaultCounts } from './fault-counts.js';

/** How long a crashed member stays down, and a partition stays up, at most. */
export const FAULT_DURATION_NS_MAX = 800_000_000;
const FAULT_DURATION_NS_MIN = 30_000_000;

export interface NemesisTarget {
  readonly random: SeededRandom;
  readonly counts: FaultCounts;
  readonly memberIds: readonly MemberId[];
  leaderId(): MemberId | undefined;
  isUp(id: MemberId): boolean;
  /** Crashes a member and restarts it after `downNs`. */
  crash(id: MemberId, downNs: number): void;
  /** Partitions the cluster and heals it after `forNs`. */
  partition(groups: readonly (readonly MemberId[])[], forNs: number): void;
  heal(): void;
  compact(id: MemberId): boolean;
}

export function nemesisTurn(t: NemesisTarget, faultRate: number): void {
  const r = t.random;
  if (r.next() >= faultRate) return;
  const duration = r.int(FAULT_DURATION_NS_MIN, FAULT_DURATION_NS_MAX);
  const anyMember = t.memberIds[r.int(0, t.memberIds.length - 1)] ?? 1n;
  const leader = t.leaderId();
  const roll = r.next();
  if (roll < 0.2) {
    t.partition(randomSplit(t), duration);
    t.counts.add('partition');
  } else if (roll < 0.35) {
    if (leader === undefined) return;
    t.partition([[leader], t.memberIds.filter((id) => id !== leader)], duration);
    t.counts.add('isolate-leader');
  } else if (roll < 0.5) {
    if (!t.isUp(anyMember)) return;
    t.crash(anyMember, duration);
    t.counts.add('crash');
  } else if (roll < 0.65) {
    if (leader === undefined) return;
    t.crash(leader, duration);
    t.counts.add('leader-kill');
  } else if (roll < 0.8) {
    t.heal();
    t.counts.add('heal');
  } else if (t.compact(anyMember)) {
    t.counts.add('snapshot-compaction');
  }
}

/** Two non-empty sides, each member on a random one. */
function randomSplit(t: NemesisTarget): MemberId[][] {
  const ids = [...t.memberIds];
  const cut = t.random.int(1, ids.length - 1);
  for (let i = ids.length - 1; i > 0; i--) {
    const j = t.random.int(0, i);
    [ids[i], ids[j]] = [ids[j] as MemberId, ids[i] as MemberId];
  }
  return [ids.slice(0, cut), ids.slice(cut)];
}
