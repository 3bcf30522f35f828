// How a leader paces what it sends: the bounded in-flight window, probing,
// fast log backtracking from rejection hints, and the uncommitted-bytes budget.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProposalDroppedError } from '../../src/raft/errors.js';
import { MessageType, type Message } from '../../src/raft/message.js';
import { ProgressState } from '../../src/raft/progress.js';
import { RaftNode, type Ready } from '../../src/raft/raft-node.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { Network } from './support/network.js';
import { seededRandom } from './support/prng.js';

function sentTo(net: Network, to: bigint, type: MessageType): Message[] {
  const seen: Message[] = [];
  net.onReady.push((_m, rd) => {
    for (const msg of rd.messages) if (msg.to === to && msg.type === type) seen.push(msg);
  });
  return seen;
}

test('a leader never has more appends in flight to a follower than maxInflightMsgs', () => {
  const net = new Network({ voters: [1n, 2n, 3n], maxInflightMsgs: 2 });
  net.campaign(1n);
  net.tick(1);
  assert.equal(net.member(1n).node.status().progress?.get(2n)?.state, ProgressState.Replicate);
  // Follower 2 receives everything but its acknowledgements are lost.
  net.dropWhere = (m) => m.from === 2n && m.type !== MessageType.MsgVote;
  const appends = sentTo(net, 2n, MessageType.MsgApp);
  for (let i = 0; i < 6; i++) net.propose(1n, `e${i}`);
  assert.equal(appends.filter((m) => m.entries.length > 0).length, 2);
  // Follower 3 acknowledges, so the entries commit regardless.
  assert.equal(net.member(1n).node.status().commit, 7);
  // Once acknowledgements flow again, the window opens and follower 2 catches up.
  net.dropWhere = undefined;
  net.tick(3);
  assert.deepEqual(net.appliedData(2n), ['e0', 'e1', 'e2', 'e3', 'e4', 'e5']);
});

test('a follower with a long conflicting tail is repaired in a few round trips, not one per entry', () => {
  const net = new Network({ voters: [1n, 2n, 3n] });
  net.campaign(1n);
  net.propose(1n, 'shared');
  // Member 1 leads alone and appends many entries of its term that never commit.
  net.isolate(1n);
  for (let i = 0; i < 40; i++) net.propose(1n, `stale${i}`);
  net.campaign(2n);
  // The majority moves on with as many entries of a newer term...
  for (let i = 0; i < 40; i++) net.propose(2n, `fresh${i}`);
  // ...and a leader that believes member 1 is as far along as itself probes it at its last index.
  net.member(2n).node.transferLeadership(3n);
  net.settle();
  assert.equal(net.leader()?.id, 3n);
  const rejections: Message[] = [];
  net.onReady.push((m, rd) => {
    if (m.id === 1n) for (const msg of rd.messages) if (msg.type === MessageType.MsgAppResp && msg.reject) rejections.push(msg);
  });
  net.heal();
  net.tick(10);
  assert.equal(net.appliedData(1n).length, 41);
  assert.deepEqual(net.appliedData(1n), net.appliedData(3n));
  assert.ok(rejections.length <= 2, `needed ${rejections.length} rejections`);
});

function drain(node: RaftNode, storage: MemoryStorage): void {
  for (let i = 0; i < 100 && node.hasReady(); i++) {
    const rd: Ready = node.ready();
    storage.append(rd.entries);
    if (rd.hardState) storage.setHardState(rd.hardState);
    node.advance(rd);
  }
}

test('the leader refuses proposals beyond the uncommitted byte budget until entries apply', () => {
  const storage = new MemoryStorage({ voters: [1n], learners: [] });
  const node = new RaftNode({
    id: 1n, storage, electionTicks: 10, heartbeatTicks: 1, random: seededRandom(3),
    maxSizePerMsgBytes: 1 << 20, maxInflightMsgs: 16, preVote: false, checkQuorum: false,
    readOnlyOption: 'safe', maxUncommittedEntriesBytes: 10,
  });
  node.campaign();
  drain(node, storage);
  const eight = new Uint8Array(8);
  node.propose(eight);
  assert.throws(() => node.propose(eight), ProposalDroppedError);
  drain(node, storage);
  node.propose(eight);
  // An empty budget admits one proposal even if it alone is over the limit.
  drain(node, storage);
  node.propose(new Uint8Array(64));
});
