// Three-member clusters: election, replication, repair after isolation, PreVote,
// CheckQuorum, ReadIndex and proposal forwarding, over the simulated network.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RaftState } from '../../src/raft/raft-state.js';
import { MessageType } from '../../src/raft/message.js';
import { ProgressState } from '../../src/raft/progress.js';
import { Network } from './support/network.js';

const IDS = [1n, 2n, 3n];

function electedCluster(opts: Partial<ConstructorParameters<typeof Network>[0]> = {}): Network {
  const net = new Network({ voters: IDS, ...opts });
  net.campaign(1n);
  assert.equal(net.member(1n).state(), RaftState.Leader);
  return net;
}

test('three members elect exactly one leader by timeout and agree on it', () => {
  const net = new Network({ voters: IDS, seed: 42 });
  net.tick(40);
  const leaders = [...net.members.values()].filter((m) => m.state() === RaftState.Leader);
  assert.equal(leaders.length, 1);
  const lead = leaders[0]?.id;
  for (const m of net.members.values()) assert.equal(m.node.status().lead, lead);
});

test('a proposal on the leader is replicated, committed and applied by every member', () => {
  const net = electedCluster();
  net.propose(1n, 'x=1');
  net.propose(1n, 'x=2');
  net.tick(2);
  for (const id of IDS) {
    assert.deepEqual(net.appliedData(id), ['x=1', 'x=2']);
    assert.equal(net.member(id).node.status().commit, 3);
  }
});

test('a proposal on a follower is forwarded to the leader', () => {
  const net = electedCluster();
  net.propose(3n, 'from-follower');
  net.tick(2);
  for (const id of IDS) assert.deepEqual(net.appliedData(id), ['from-follower']);
});

test('an isolated follower is repaired when it returns, its conflicting entries replaced', () => {
  const net = electedCluster();
  net.propose(1n, 'a');
  // Leader 1 is cut off and keeps appending entries that can never commit.
  net.isolate(1n);
  net.propose(1n, 'lost-1');
  net.propose(1n, 'lost-2');
  net.tick(30);
  const newLeader = net.leader();
  assert.ok(newLeader && newLeader.id !== 1n, 'the majority elected a new leader');
  net.propose(newLeader.id, 'b');
  net.heal();
  net.tick(10);
  for (const id of IDS) assert.deepEqual(net.appliedData(id), ['a', 'b']);
  assert.equal(net.member(1n).state(), RaftState.Follower);
});

test('a leader cut off from everyone is replaced by the majority', () => {
  const net = electedCluster();
  net.isolate(1n);
  net.tick(30);
  const leader = net.leader();
  assert.ok(leader !== undefined && leader.id !== 1n);
  assert.ok(leader.node.status().term > 1);
});

test('with PreVote a member rejoining from a partition does not disturb the leader', () => {
  const net = electedCluster({ preVote: true, checkQuorum: true });
  net.tick(2);
  net.isolate(3n);
  net.tick(50);
  // Alone, member 3 keeps failing pre-elections, so its term never moves.
  assert.equal(net.member(3n).node.status().term, 1);
  net.heal();
  net.tick(5);
  assert.equal(net.member(1n).state(), RaftState.Leader);
  assert.equal(net.member(1n).node.status().term, 1);
  assert.equal(net.member(3n).node.status().lead, 1n);
});

test('without PreVote the same rejoin forces an election (the control case)', () => {
  const net = electedCluster({ preVote: false, checkQuorum: false });
  net.tick(2);
  net.isolate(3n);
  net.tick(50);
  assert.ok(net.member(3n).node.status().term > 1);
  net.heal();
  net.tick(30);
  assert.ok(net.member(1n).node.status().term > 1);
});

test('with CheckQuorum a leader that hears from no quorum steps down', () => {
  const net = electedCluster({ checkQuorum: true });
  net.tick(2);
  net.isolate(1n);
  net.tick(25);
  assert.equal(net.member(1n).state(), RaftState.Follower);
});

test('without CheckQuorum an isolated leader keeps believing it leads (the control case)', () => {
  const net = electedCluster({ checkQuorum: false });
  net.isolate(1n);
  net.tick(25);
  assert.equal(net.member(1n).state(), RaftState.Leader);
});

test('ReadIndex on the leader is answered after a quorum heartbeat round', () => {
  const net = electedCluster();
  net.propose(1n, 'v');
  const leader = net.member(1n);
  const commit = leader.node.status().commit;
  net.isolate(1n);
  leader.node.readIndex(new TextEncoder().encode('r1'));
  net.process(leader);
  net.deliverAll();
  assert.deepEqual(leader.readStates, [], 'no read is confirmed without a quorum');
  net.heal();
  net.tick(1);
  assert.deepEqual(leader.readStates, [{ index: commit, context: 'r1' }]);
});

test('ReadIndex on a follower is forwarded and answered with the leader commit index', () => {
  const net = electedCluster();
  net.propose(1n, 'v');
  const follower = net.member(2n);
  follower.node.readIndex(new TextEncoder().encode('r2'));
  net.process(follower);
  net.deliverAll();
  assert.deepEqual(follower.readStates, [{ index: net.member(1n).node.status().commit, context: 'r2' }]);
});

test('a leader elected after a failover answers reads at its commit index', () => {
  const net = electedCluster();
  net.isolate(1n);
  net.tick(30);
  const leader = net.leader();
  assert.ok(leader !== undefined && leader.id !== 1n);
  // The leader already committed its empty entry, so reads are answered at once after a heartbeat round.
  leader.node.readIndex(new TextEncoder().encode('r3'));
  net.process(leader);
  net.deliverAll();
  assert.equal(leader.readStates.length, 1);
  assert.equal(leader.readStates[0]?.index, leader.node.status().commit);
});

test('a new leader holds reads until it commits an entry of its own term', () => {
  const net = new Network({ voters: IDS });
  // The new leader's empty entry never reaches anyone, so nothing of its term commits.
  net.dropWhere = (m) => m.type === MessageType.MsgApp;
  net.campaign(1n);
  const leader = net.member(1n);
  assert.equal(leader.state(), RaftState.Leader);
  assert.equal(leader.node.status().commit, 0);
  leader.node.readIndex(new TextEncoder().encode('early'));
  net.process(leader);
  net.tick(3);
  assert.deepEqual(leader.readStates, [], 'a commit index from an earlier term could be stale');
  net.dropWhere = undefined;
  net.tick(3);
  assert.deepEqual(leader.readStates, [{ index: 1, context: 'early' }]);
});

test('lease-based reads are answered by the leader without a heartbeat round', () => {
  const net = electedCluster({ readOnlyOption: 'lease-based', checkQuorum: true });
  const leader = net.member(1n);
  net.isolate(1n);
  leader.node.readIndex(new TextEncoder().encode('lease'));
  net.process(leader);
  assert.deepEqual(leader.readStates, [{ index: 1, context: 'lease' }]);
});

test('a follower isolated while the cluster moves on catches up when it returns', () => {
  const net = electedCluster();
  net.isolate(3n);
  for (let i = 0; i < 20; i++) net.propose(1n, `while-away-${i}`);
  net.tick(5);
  assert.deepEqual(net.appliedData(3n), []);
  assert.equal(net.appliedData(2n).length, 20);
  net.heal();
  net.tick(3);
  assert.deepEqual(net.appliedData(3n), net.appliedData(1n));
  assert.equal(net.member(3n).node.status().term, 1, 'catching up needed no election');
});

test('a follower reported unreachable is probed again instead of streamed to', () => {
  const net = electedCluster();
  net.propose(1n, 'x');
  const leader = net.member(1n).node;
  assert.equal(leader.status().progress?.get(2n)?.state, ProgressState.Replicate);
  leader.reportUnreachable(2n);
  assert.equal(leader.status().progress?.get(2n)?.state, ProgressState.Probe);
  // The next append is a probe; once it is acknowledged, streaming resumes.
  net.propose(1n, 'y');
  assert.equal(leader.status().progress?.get(2n)?.state, ProgressState.Replicate);
  assert.deepEqual(net.appliedData(2n), ['x', 'y']);
});
