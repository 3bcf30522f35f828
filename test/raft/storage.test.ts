// MemoryStorage and the stable/unstable log split: what the core can read,
// and which reads fail because the log was compacted or is not there yet.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactedError, SnapshotOutOfDateError, UnavailableError } from '../../src/raft/errors.js';
import { RaftLog } from '../../src/raft/raft-log.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { EntryType, type Entry } from '../../src/raft/types.js';

const CS = { voters: [1n], learners: [] };
const entry = (index: number, term: number, data = ''): Entry => ({
  index, term, type: EntryType.Normal, data: new TextEncoder().encode(data),
});

function storageWith(terms: number[]): MemoryStorage {
  const s = new MemoryStorage(CS);
  s.append(terms.map((t, i) => entry(i + 1, t)));
  return s;
}

test('memory storage serves entries and terms in range and refuses the rest', () => {
  const s = storageWith([1, 1, 2, 3]);
  assert.deepEqual([s.firstIndex(), s.lastIndex()], [1, 4]);
  assert.deepEqual(s.entries(2, 4, Infinity).map((e) => e.term), [1, 2]);
  assert.equal(s.term(0), 0, 'the snapshot point is readable');
  assert.throws(() => s.term(5), UnavailableError);
  assert.throws(() => s.entries(2, 6, Infinity), UnavailableError);
});

test('compaction drops entries but keeps the term of the compaction point', () => {
  const s = storageWith([1, 1, 2, 3]);
  s.compact(2);
  assert.deepEqual([s.firstIndex(), s.lastIndex()], [3, 4]);
  assert.equal(s.term(2), 1);
  assert.throws(() => s.term(1), CompactedError);
  assert.throws(() => s.entries(2, 4, Infinity), CompactedError);
  assert.throws(() => s.compact(2), CompactedError);
});

test('entries honour the byte limit but always return at least one entry', () => {
  const s = new MemoryStorage(CS);
  s.append([entry(1, 1, 'x'.repeat(100)), entry(2, 1, 'y'.repeat(100)), entry(3, 1, 'z')]);
  assert.equal(s.entries(1, 4, 1).length, 1);
  assert.equal(s.entries(1, 4, 250).length, 2);
});

test('appending over an existing suffix replaces it', () => {
  const s = storageWith([1, 1, 1]);
  s.append([entry(2, 2), entry(3, 2), entry(4, 2)]);
  assert.deepEqual(s.entries(1, 5, Infinity).map((e) => e.term), [1, 2, 2, 2]);
});

test('a snapshot replaces the log and an older one is refused', () => {
  const s = storageWith([1, 1]);
  const snap = { metadata: { index: 10, term: 4, confState: { voters: [1n, 2n], learners: [] } }, data: new Uint8Array([7]) };
  s.applySnapshot(snap);
  assert.deepEqual([s.firstIndex(), s.lastIndex(), s.term(10)], [11, 10, 4]);
  assert.deepEqual(s.initialState().confState.voters, [1n, 2n]);
  assert.throws(() => s.applySnapshot({ ...snap, metadata: { ...snap.metadata, index: 5 } }), SnapshotOutOfDateError);
});

test('the raft log reads across storage and the unstable tail, and finds conflicts', () => {
  const log = new RaftLog(storageWith([1, 1, 2]), Infinity);
  log.append([entry(4, 2), entry(5, 3)]);
  assert.deepEqual(log.allEntries().map((e) => e.term), [1, 1, 2, 2, 3]);
  assert.equal(log.findConflict([entry(3, 2), entry(4, 2), entry(5, 4)]), 5);
  assert.equal(log.findConflict([entry(3, 2), entry(4, 2)]), 0);
  // The last index whose term is at most 1: where a follower with only term-1 entries may agree.
  assert.deepEqual(log.findConflictByTerm(5, 1), { index: 2, term: 1 });
  assert.ok(log.isUpToDate(5, 3) && log.isUpToDate(1, 4) && !log.isUpToDate(6, 2));
});

test('a leader append that conflicts with the unstable tail truncates it', () => {
  const log = new RaftLog(storageWith([1]), Infinity);
  log.append([entry(2, 1), entry(3, 1)]);
  assert.equal(log.maybeAppend(1, 1, 0, [entry(2, 2)]), 2);
  assert.deepEqual(log.allEntries().map((e) => [e.index, e.term]), [[1, 1], [2, 2]]);
  assert.equal(log.maybeAppend(2, 1, 0, [entry(3, 1)]), undefined, 'a mismatched previous entry is refused');
});

test('only committed entries that are already persisted are handed out for applying', () => {
  const storage = storageWith([1, 1]);
  const log = new RaftLog(storage, Infinity);
  log.append([entry(3, 1), entry(4, 1)]);
  log.commitTo(4);
  assert.deepEqual(log.nextCommittedEntries().map((e) => e.index), [1, 2]);
  storage.append(log.unstableEntries());
  log.stableTo(4, 1);
  assert.deepEqual(log.nextCommittedEntries().map((e) => e.index), [1, 2, 3, 4]);
});

test('counting replicas commits only an entry of the current term (earlier ones ride along)', () => {
  const log = new RaftLog(storageWith([1, 1, 2]), Infinity);
  // Index 3 (term 2) is on a quorum, but the leader is in term 3: committing it by count is unsafe.
  assert.equal(log.maybeCommit(3, 3), false);
  assert.equal(log.committed, 0);
  log.append([entry(4, 3)]);
  assert.equal(log.maybeCommit(4, 3), true);
  assert.equal(log.committed, 4);
});
