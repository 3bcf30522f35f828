// A one-member raft group: the shape every single-node server runs in.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProposalDroppedError } from '../../src/raft/errors.js';
import { RaftNode, type Ready } from '../../src/raft/raft-node.js';
import { RaftState } from '../../src/raft/raft-state.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { EntryType, type Entry } from '../../src/raft/types.js';
import { seededRandom } from './support/prng.js';

const ID = 1n;

function newNode(storage: MemoryStorage): RaftNode {
  return new RaftNode({
    id: ID, storage, electionTicks: 10, heartbeatTicks: 1, random: seededRandom(7),
    maxSizePerMsgBytes: 1 << 20, maxInflightMsgs: 256, preVote: false, checkQuorum: false,
    readOnlyOption: 'safe', maxUncommittedEntriesBytes: 0,
  });
}

/** What the application does with each Ready: persist, then apply, then advance. */
function drain(node: RaftNode, storage: MemoryStorage, applied: Entry[]): Ready[] {
  const readies: Ready[] = [];
  for (let i = 0; i < 100 && node.hasReady(); i++) {
    const rd = node.ready();
    readies.push(rd);
    storage.append(rd.entries);
    if (rd.hardState) storage.setHardState(rd.hardState);
    applied.push(...rd.committedEntries);
    node.advance(rd);
  }
  return readies;
}

const text = (e: Entry): string => new TextDecoder().decode(e.data);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

test('a lone voter elects itself once its election timeout passes', () => {
  const storage = new MemoryStorage({ voters: [ID], learners: [] });
  const node = newNode(storage);
  const applied: Entry[] = [];
  for (let t = 0; t < 19 && node.status().raftState !== RaftState.Leader; t++) {
    node.tick();
    drain(node, storage, applied);
  }
  const st = node.status();
  assert.equal(st.raftState, RaftState.Leader);
  assert.equal(st.lead, ID);
  assert.equal(st.term, 1);
  assert.equal(st.vote, ID);
});

test('campaign elects at once; the new leader commits an empty entry of its term', () => {
  const storage = new MemoryStorage({ voters: [ID], learners: [] });
  const node = newNode(storage);
  node.campaign();
  const rd = node.ready();
  assert.deepEqual(rd.softState, { lead: ID, raftState: RaftState.Leader });
  assert.equal(rd.entries.length, 1);
  assert.equal(rd.entries[0]?.term, 1);
  assert.equal(rd.entries[0]?.data.length, 0);
  // Not persisted yet, so not committed.
  assert.equal(rd.committedEntries.length, 0);
  assert.equal(rd.hardState?.commit, 0);
  assert.equal(rd.mustSync, true);
  storage.append(rd.entries);
  node.advance(rd);
  const next = node.ready();
  assert.equal(next.hardState?.commit, 1);
  assert.deepEqual(next.committedEntries.map((e) => e.index), [1]);
});

test('proposals commit only after they were handed out and persisted, then apply in order', () => {
  const storage = new MemoryStorage({ voters: [ID], learners: [] });
  const node = newNode(storage);
  const applied: Entry[] = [];
  node.campaign();
  drain(node, storage, applied);
  node.propose(bytes('a'));
  node.propose(bytes('b'));
  const rd = node.ready();
  assert.deepEqual(rd.entries.map(text), ['a', 'b']);
  assert.equal(rd.committedEntries.length, 0);
  assert.equal(node.status().commit, 1);
  storage.append(rd.entries);
  node.advance(rd);
  assert.equal(node.status().commit, 3);
  drain(node, storage, applied);
  assert.deepEqual(applied.map((e) => [e.index, text(e)]), [[1, ''], [2, 'a'], [3, 'b']]);
  assert.equal(node.status().applied, 3);
  assert.equal(node.hasReady(), false);
});

test('a restarted member recovers term, vote and commit, then re-elects itself', () => {
  const storage = new MemoryStorage({ voters: [ID], learners: [] });
  const first = newNode(storage);
  first.campaign();
  drain(first, storage, []);
  first.propose(bytes('x'));
  drain(first, storage, []);
  assert.equal(first.status().commit, 2);

  const again = newNode(storage);
  const st = again.status();
  assert.deepEqual([st.term, st.vote, st.commit, st.raftState], [1, ID, 2, RaftState.Follower]);
  const applied: Entry[] = [];
  again.campaign();
  drain(again, storage, applied);
  assert.equal(again.status().raftState, RaftState.Leader);
  assert.equal(again.status().term, 2);
  // Everything committed before is applied again (applied was not given), then the new empty entry.
  assert.deepEqual(applied.map((e) => [e.index, e.term, text(e)]), [[1, 1, ''], [2, 1, 'x'], [3, 2, '']]);
});

test('a restart with a known applied index does not hand out applied entries again', () => {
  const storage = new MemoryStorage({ voters: [ID], learners: [] });
  const first = newNode(storage);
  first.campaign();
  first.propose(bytes('x'));
  drain(first, storage, []);
  const again = new RaftNode({
    id: ID, storage, electionTicks: 10, heartbeatTicks: 1, random: seededRandom(1),
    maxSizePerMsgBytes: 1 << 20, maxInflightMsgs: 256, preVote: true, checkQuorum: true,
    readOnlyOption: 'safe', maxUncommittedEntriesBytes: 0, applied: 2,
  });
  const applied: Entry[] = [];
  again.campaign();
  drain(again, storage, applied);
  assert.deepEqual(applied.map((e) => e.index), [3]);
});

test('a follower without a leader drops proposals with a typed error', () => {
  const node = newNode(new MemoryStorage({ voters: [ID, 2n], learners: [] }));
  assert.throws(() => node.propose(bytes('lost')), ProposalDroppedError);
});

test('read index on a lone leader answers with the commit index at once', () => {
  const storage = new MemoryStorage({ voters: [ID], learners: [] });
  const node = newNode(storage);
  node.campaign();
  drain(node, storage, []);
  node.readIndex(bytes('req-1'));
  const rd = node.ready();
  assert.deepEqual(rd.readStates.map((r) => [r.index, new TextDecoder().decode(r.context)]), [[1, 'req-1']]);
});

test('conf change proposals carry an encoded ConfChange entry', () => {
  const storage = new MemoryStorage({ voters: [ID], learners: [] });
  const node = newNode(storage);
  const applied: Entry[] = [];
  node.campaign();
  drain(node, storage, applied);
  node.proposeConfChange({ type: 3, memberId: 2n, context: new Uint8Array(0) });
  drain(node, storage, applied);
  const cc = applied.find((e) => e.type === EntryType.ConfChange);
  assert.ok(cc, 'the conf change was committed');
  assert.deepEqual(node.applyConfChange({ type: 3, memberId: 2n, context: new Uint8Array(0) }), {
    voters: [ID], learners: [2n],
  });
});

test('a Ready is handed out once: nothing more until it is advanced', () => {
  const storage = new MemoryStorage({ voters: [ID], learners: [] });
  const node = newNode(storage);
  node.campaign();
  const rd = node.ready();
  node.propose(bytes('while-persisting'));
  assert.equal(node.hasReady(), false);
  assert.throws(() => node.ready(), /before advance/);
  storage.append(rd.entries);
  node.advance(rd);
  assert.equal(node.hasReady(), true);
  assert.deepEqual(node.ready().entries.map(text), ['while-persisting']);
});
