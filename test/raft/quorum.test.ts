// Majority arithmetic: what a quorum has acknowledged, and who won an election.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { majorityCommittedIndex, quorumSize, voteResult, VoteResult } from '../../src/raft/quorum.js';

const voters = (...ids: bigint[]): Set<bigint> => new Set(ids);

test('quorum sizes are strict majorities', () => {
  assert.deepEqual([1, 2, 3, 4, 5].map(quorumSize), [1, 2, 2, 3, 3]);
});

test('the committed index is the highest one a majority has reached', () => {
  const match = new Map([[1n, 9], [2n, 5], [3n, 7]]);
  assert.equal(majorityCommittedIndex(voters(1n, 2n, 3n), (id) => match.get(id)), 7);
  // A voter never heard from counts as having nothing.
  assert.equal(majorityCommittedIndex(voters(1n, 2n, 3n, 4n), (id) => match.get(id)), 5);
  assert.equal(majorityCommittedIndex(voters(), () => 3), 0);
});

test('an election is won by a majority of grants and lost once a majority is out of reach', () => {
  const five = voters(1n, 2n, 3n, 4n, 5n);
  assert.equal(voteResult(five, new Map([[1n, true], [2n, true]])), VoteResult.Pending);
  assert.equal(voteResult(five, new Map([[1n, true], [2n, true], [3n, true]])), VoteResult.Won);
  assert.equal(voteResult(five, new Map([[1n, true], [2n, false], [3n, false], [4n, false]])), VoteResult.Lost);
  assert.equal(voteResult(five, new Map([[1n, true], [9n, true], [8n, true]])), VoteResult.Pending, 'non-voters do not count');
});
