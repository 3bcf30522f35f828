// A member refuses to start with settings no raft member can run with.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RaftConfig } from '../../src/raft/config.js';
import { InvalidConfigError } from '../../src/raft/errors.js';
import { RaftNode } from '../../src/raft/raft-node.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { seededRandom } from './support/prng.js';

function config(overrides: Partial<RaftConfig>): RaftConfig {
  return {
    id: 1n, electionTicks: 10, heartbeatTicks: 1, storage: new MemoryStorage({ voters: [1n], learners: [] }),
    random: seededRandom(1), maxSizePerMsgBytes: 1024, maxInflightMsgs: 16, preVote: true, checkQuorum: true,
    readOnlyOption: 'safe', maxUncommittedEntriesBytes: 0, ...overrides,
  };
}

test('a valid configuration starts a follower at term 0', () => {
  const st = new RaftNode(config({})).status();
  assert.deepEqual([st.raftState, st.term, st.commit], ['follower', 0, 0]);
});

test('impossible settings are refused at start-up', () => {
  const bad: [string, Partial<RaftConfig>][] = [
    ['id must not be 0', { id: 0n }],
    ['electionTicks', { electionTicks: 1, heartbeatTicks: 1 }],
    ['heartbeatTicks', { heartbeatTicks: 0 }],
    ['maxInflightMsgs', { maxInflightMsgs: 0 }],
    ['lease-based reads need checkQuorum', { readOnlyOption: 'lease-based', checkQuorum: false }],
  ];
  for (const [why, overrides] of bad) {
    assert.throws(
      () => new RaftNode(config(overrides)),
      (e: unknown) => e instanceof InvalidConfigError && e.message.includes(why),
      why,
    );
  }
});

test('a random source outside [0, 1) is caught as a bug', () => {
  assert.throws(() => new RaftNode(config({ random: () => 1 })), /outside \[0, 1\)/);
});
