// The seeded chaos run shared by the randomized test and by replaying one seed
// when it fails (node --import tsx test/raft/support/replay-seed.ts <seed>).
// CHAOS_STEPS lengthens every run for a deeper local sweep.

import assert from 'node:assert/strict';
import { ProposalDroppedError } from '../../../src/raft/errors.js';
import { RaftState } from '../../../src/raft/raft-state.js';
import { ConfChangeType, type MemberId } from '../../../src/raft/types.js';
import { Network, type SimMember } from './network.js';

const STEPS_PER_RUN = Number(process.env["CHAOS_STEPS"] ?? 120);
/** Ticks allowed, after healing everything, for the cluster to commit again. */
const RECOVERY_TICKS_MAX = 200;

function pick<T>(random: () => number, items: readonly T[]): T {
  const item = items[Math.floor(random() * items.length)];
  assert.ok(item !== undefined);
  return item;
}

function tryPropose(net: Network, m: SimMember, data: string): void {
  if (!m.up) return;
  try {
    m.node.propose(new TextEncoder().encode(data));
  } catch (e) {
    if (!(e instanceof ProposalDroppedError)) throw e;
  }
  net.process(m);
}

/** The member some seeds start as a learner and randomly promote and demote. */
const SPARE_ID = 4n;

function tryConfChange(net: Network, m: SimMember): void {
  if (!m.up) return;
  const type = net.random() < 0.5 ? ConfChangeType.AddNode : ConfChangeType.AddLearnerNode;
  try {
    m.node.proposeConfChange({ type, memberId: SPARE_ID, context: new Uint8Array(0) });
  } catch (e) {
    if (!(e instanceof ProposalDroppedError)) throw e;
  }
  net.process(m);
}

function chaosStep(net: Network, ids: readonly MemberId[], step: number): void {
  const r = net.random();
  const m = net.member(pick(net.random, ids));
  if (r < 0.55) net.tick(1);
  else if (r < 0.75) tryPropose(net, m, `p${step}`);
  else if (r < 0.8) net.isolate(m.id);
  else if (r < 0.83) net.partition([m.id], ids.filter((id) => id !== m.id));
  else if (r < 0.88) net.heal();
  else if (r < 0.91) net.crash(m.id);
  else if (r < 0.95) {
    if (!m.up) m.restart();
  } else if (r < 0.98) {
    if (m.up && m.appliedIndex > m.storage.firstIndex() - 1) net.compact(m.id);
  } else if (r < 0.99 || !ids.includes(SPARE_ID)) {
    m.node.transferLeadership(pick(net.random, ids));
    net.process(m);
  } else {
    tryConfChange(net, m);
  }
  net.deliverAll();
}

/** Runs one seeded history; `trace` prints the final state of every member. */
export function runSeed(seed: number, trace = false): void {
  const voters: MemberId[] = seed % 4 === 0 ? [1n, 2n, 3n, 4n, 5n] : [1n, 2n, 3n];
  const learners: MemberId[] = seed % 4 === 1 ? [SPARE_ID] : [];
  const ids = [...voters, ...learners];
  const net = new Network({
    voters, learners, seed, preVote: seed % 2 === 0, checkQuorum: seed % 3 !== 0,
    dropRate: 0.1, reorder: true,
    // Some runs squeeze flow control so windows fill and messages split.
    maxInflightMsgs: seed % 3 === 1 ? 2 : 256,
    maxSizePerMsgBytes: seed % 5 === 2 ? 40 : 1024 * 1024,
  });
  const leaderOfTerm = new Map<number, MemberId>();
  net.onReady.push((m) => {
    const st = m.node.status();
    if (st.raftState !== RaftState.Leader) return;
    const seen = leaderOfTerm.get(st.term);
    assert.ok(seen === undefined || seen === m.id, `seed ${seed}: two leaders (${seen}, ${m.id}) in term ${st.term}`);
    leaderOfTerm.set(st.term, m.id);
  });
  const lastHard = new Map<MemberId, { term: number; commit: number }>();
  net.onReady.push((m, rd) => {
    if (rd.hardState === undefined) return;
    const prev = lastHard.get(m.id) ?? { term: 0, commit: 0 };
    const { term, commit } = rd.hardState;
    assert.ok(term >= prev.term && commit >= prev.commit, `seed ${seed}: member ${m.id} hard state went back`);
    lastHard.set(m.id, { term, commit });
  });
  for (let step = 0; step < STEPS_PER_RUN; step++) chaosStep(net, ids, step);
  recover(net, ids, seed, trace);
  checkLogsMatchCommitted(net, ids, seed);
}

/** Every persisted entry at or below a member's commit index is the committed one. */
function checkLogsMatchCommitted(net: Network, ids: readonly MemberId[], seed: number): void {
  for (const id of ids) {
    const m = net.member(id);
    const commit = m.node.status().commit;
    const first = m.storage.firstIndex();
    const last = Math.min(commit, m.storage.lastIndex());
    if (last < first) continue;
    for (const e of m.storage.entries(first, last + 1, Number.MAX_SAFE_INTEGER)) {
      const committed = net.committed.get(e.index);
      if (committed === undefined) continue;
      assert.equal(e.term, committed.term, `seed ${seed}: member ${id} holds a different entry at ${e.index}`);
    }
  }
}

/** Heals everything and checks the cluster commits again and every member converges. */
function recover(net: Network, ids: readonly MemberId[], seed: number, trace: boolean): void {
  net.heal();
  net.setDropRate(0);
  for (const id of ids) if (!net.member(id).up) net.member(id).restart();
  const marker = `final-${seed}`;
  for (let t = 0; t < RECOVERY_TICKS_MAX; t++) {
    const leader = net.leader();
    if (leader !== undefined && t % 10 === 0 && !net.appliedData(leader.id).includes(marker)) tryPropose(net, leader, marker);
    net.tick(1);
    if (ids.every((id) => net.appliedData(id).includes(marker))) break;
  }
  if (trace) for (const id of ids) console.log(describe(net.member(id)));
  const reference = net.appliedData(ids[0] ?? 1n);
  assert.ok(reference.includes(marker), `seed ${seed}: the healed cluster committed nothing new`);
  for (const id of ids) {
    const mine = net.appliedData(id);
    // Duplicates of the marker may commit; compare the common prefix up to its first copy.
    const cut = (xs: string[]): string[] => xs.slice(0, xs.indexOf(marker) + 1);
    assert.deepEqual(cut(mine), cut(reference), `seed ${seed}: member ${id} applied a different history`);
  }
}


function describe(m: SimMember): string {
  const st = m.node.status();
  const progress = st.progress === undefined ? '' : [...st.progress]
    .map(([id, p]) => `${id}:${p.match}/${p.next}/${p.state}/${p.recentActive ? 'active' : 'idle'}`).join(' ');
  return `${m.id} up=${m.up} ${st.raftState} term=${st.term} lead=${st.lead} commit=${st.commit} ` +
    `applied=${st.applied} log=[${m.storage.firstIndex()},${m.storage.lastIndex()}] ${progress}`;
}
