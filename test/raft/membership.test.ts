// Membership: learners, adding and removing members by conf change, snapshot
// catch-up after compaction, and leadership transfer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageType } from '../../src/raft/message.js';
import { ProgressState } from '../../src/raft/progress.js';
import { RaftState } from '../../src/raft/raft-state.js';
import { ConfChangeType } from '../../src/raft/types.js';
import { Network } from './support/network.js';

const NO_CONTEXT = new Uint8Array(0);

test('a learner receives the log but neither votes nor counts toward the quorum', () => {
  const net = new Network({ voters: [1n, 2n], learners: [3n] });
  net.campaign(1n);
  net.propose(1n, 'a');
  net.tick(2);
  assert.deepEqual(net.appliedData(3n), ['a'], 'the learner replicated the entry');
  // With voter 2 gone, the learner's acknowledgement must not make a quorum.
  net.crash(2n);
  net.propose(1n, 'b');
  net.tick(3);
  assert.deepEqual(net.appliedData(3n), ['a']);
  assert.deepEqual(net.appliedData(1n), ['a']);
  assert.equal(net.member(1n).node.status().progress?.get(3n)?.isLearner, true);
});

test('a learner never campaigns, however long it hears nothing', () => {
  const net = new Network({ voters: [1n, 2n], learners: [3n] });
  net.isolate(3n);
  net.tick(100);
  assert.equal(net.member(3n).state(), RaftState.Follower);
  assert.equal(net.member(3n).node.status().term, 0);
});

test('a member added by conf change catches up and then counts toward the quorum', () => {
  const net = new Network({ voters: [1n, 2n, 3n] });
  net.campaign(1n);
  net.propose(1n, 'before');
  net.addMember(4n, { voters: [1n, 2n, 3n, 4n], learners: [] });
  net.member(1n).node.proposeConfChange({ type: ConfChangeType.AddNode, memberId: 4n, context: NO_CONTEXT });
  net.settle();
  net.tick(3);
  assert.deepEqual(net.member(1n).node.confState().voters, [1n, 2n, 3n, 4n]);
  assert.deepEqual(net.appliedData(4n), ['before']);
  // Four voters need three acknowledgements: with two down nothing commits.
  net.crash(2n);
  net.crash(3n);
  net.propose(1n, 'needs-three');
  net.tick(3);
  assert.deepEqual(net.appliedData(1n), ['before']);
});

test('a removed member is no longer needed for the quorum', () => {
  const net = new Network({ voters: [1n, 2n, 3n] });
  net.campaign(1n);
  net.member(1n).node.proposeConfChange({ type: ConfChangeType.RemoveNode, memberId: 3n, context: NO_CONTEXT });
  net.settle();
  net.tick(2);
  assert.deepEqual(net.member(1n).node.confState().voters, [1n, 2n]);
  net.crash(3n);
  net.propose(1n, 'two-of-two');
  net.tick(2);
  assert.deepEqual(net.appliedData(2n), ['two-of-two']);
});

test('a second conf change proposed while one is pending becomes a no-op', () => {
  const net = new Network({ voters: [1n, 2n, 3n] });
  net.campaign(1n);
  const leader = net.member(1n).node;
  leader.proposeConfChange({ type: ConfChangeType.RemoveNode, memberId: 3n, context: NO_CONTEXT });
  leader.proposeConfChange({ type: ConfChangeType.RemoveNode, memberId: 2n, context: NO_CONTEXT });
  net.settle();
  net.tick(2);
  assert.deepEqual(leader.confState().voters, [1n, 2n]);
});

test('a follower behind the leader\'s first index catches up from a snapshot', () => {
  const net = new Network({ voters: [1n, 2n, 3n] });
  net.campaign(1n);
  net.crash(3n);
  for (let i = 0; i < 5; i++) net.propose(1n, `v${i}`);
  net.tick(1);
  net.compact(1n);
  const snapshots: number[] = [];
  net.onReady.push((m, rd) => {
    if (m.id === 3n && rd.snapshot) snapshots.push(rd.snapshot.metadata.index);
  });
  net.member(3n).restart();
  net.tick(5);
  assert.deepEqual(snapshots, [6]);
  net.propose(1n, 'after');
  net.tick(2);
  assert.deepEqual(net.appliedData(3n), ['v0', 'v1', 'v2', 'v3', 'v4', 'after']);
  assert.equal(net.member(1n).node.status().progress?.get(3n)?.state, ProgressState.Replicate);
});

test('leadership transfers to an up-to-date follower via MsgTimeoutNow', () => {
  const net = new Network({ voters: [1n, 2n, 3n], preVote: true, checkQuorum: true });
  net.campaign(1n);
  net.propose(1n, 'x');
  const timeoutNows: bigint[] = [];
  net.onReady.push((_m, rd) => {
    for (const msg of rd.messages) if (msg.type === MessageType.MsgTimeoutNow) timeoutNows.push(msg.to);
  });
  net.member(1n).node.transferLeadership(2n);
  net.settle();
  assert.deepEqual(timeoutNows, [2n]);
  assert.equal(net.member(2n).state(), RaftState.Leader);
  assert.equal(net.member(1n).node.status().lead, 2n);
  net.propose(2n, 'y');
  net.tick(2);
  assert.deepEqual(net.appliedData(3n), ['x', 'y']);
});

test('a lagging transferee is caught up first; proposals are refused meanwhile', () => {
  const net = new Network({ voters: [1n, 2n, 3n] });
  net.campaign(1n);
  net.cut(1n, 3n);
  net.propose(1n, 'x');
  net.member(1n).node.transferLeadership(3n);
  net.settle();
  assert.equal(net.member(1n).node.status().leadTransferee, 3n);
  assert.throws(() => net.member(1n).node.propose(new TextEncoder().encode('refused')), /transfer/);
  net.heal();
  net.tick(2);
  assert.equal(net.member(3n).state(), RaftState.Leader);
});

test('a transfer that cannot finish within an election timeout is abandoned', () => {
  const net = new Network({ voters: [1n, 2n, 3n] });
  net.campaign(1n);
  net.crash(3n);
  net.propose(1n, 'x');
  net.member(1n).node.transferLeadership(3n);
  net.settle();
  net.tick(11);
  const st = net.member(1n).node.status();
  assert.equal(st.raftState, RaftState.Leader);
  assert.equal(st.leadTransferee, 0n);
});

test('a leader that removes itself steps down and the remaining voters elect a leader', () => {
  const net = new Network({ voters: [1n, 2n, 3n], checkQuorum: true, preVote: true });
  net.campaign(1n);
  net.member(1n).node.proposeConfChange({ type: ConfChangeType.RemoveNode, memberId: 1n, context: NO_CONTEXT });
  net.settle();
  assert.equal(net.member(1n).state(), RaftState.Follower);
  net.tick(40);
  const leader = net.leader();
  assert.ok(leader !== undefined && leader.id !== 1n, 'a remaining voter leads');
  net.propose(leader.id, 'after-removal');
  net.tick(2);
  assert.deepEqual(net.appliedData(2n), ['after-removal']);
  assert.deepEqual(net.appliedData(3n), ['after-removal']);
  // The removed member never campaigns again.
  assert.equal(net.member(1n).state(), RaftState.Follower);
});

test('a lone voter answers reads at once even when its learner is down', () => {
  const net = new Network({ voters: [1n], learners: [2n] });
  net.campaign(1n);
  net.crash(2n);
  const leader = net.member(1n);
  leader.node.readIndex(new TextEncoder().encode('solo'));
  net.process(leader);
  assert.deepEqual(leader.readStates, [{ index: 1, context: 'solo' }]);
});
