// One follower's progress as the leader tracks it: what each state lets the
// leader send, and how acknowledgements and rejections move it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress, ProgressState } from '../../src/raft/progress.js';

test('a probing follower gets one append at a time until it answers', () => {
  const pr = new Progress(5, 4, false);
  assert.equal(pr.isPaused(), false);
  pr.probeSent = true;
  assert.equal(pr.isPaused(), true);
  assert.equal(pr.maybeUpdate(4), true, 'an ack of new entries is news');
  assert.equal(pr.isPaused(), false);
  assert.equal(pr.maybeUpdate(4), false, 'a repeated ack is not');
});

test('a replicating follower is paused only by a full in-flight window', () => {
  const pr = new Progress(1, 2, false);
  pr.becomeReplicate();
  pr.inflights.add(3);
  pr.inflights.add(6);
  assert.equal(pr.isPaused(), true);
  pr.inflights.freeLE(3);
  assert.equal(pr.isPaused(), false);
});

test('rejections: stale ones are ignored, fresh ones move next back toward the hint', () => {
  const probing = new Progress(10, 4, false);
  assert.equal(probing.maybeDecrTo(5, 2), false, 'not the append we are waiting on');
  assert.equal(probing.maybeDecrTo(9, 3), true);
  assert.equal(probing.next, 4);
  const replicating = new Progress(1, 4, false);
  replicating.maybeUpdate(6);
  replicating.becomeReplicate();
  replicating.optimisticUpdate(12);
  assert.equal(replicating.maybeDecrTo(5, 0), false, 'below the known match: stale');
  assert.equal(replicating.maybeDecrTo(9, 0), true);
  assert.equal(replicating.next, 7);
});

test('a follower sent a snapshot resumes probing after it', () => {
  const pr = new Progress(1, 4, false);
  pr.becomeSnapshot(20);
  assert.equal(pr.isPaused(), true);
  pr.becomeProbe();
  assert.equal(pr.state, ProgressState.Probe);
  assert.equal(pr.next, 21);
});
