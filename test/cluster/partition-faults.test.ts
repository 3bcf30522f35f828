// Partitions on real processes, checked: a seeded nemesis cuts the leader and then a
// follower off from their peers (TCP proxies in front of the peer ports), SIGKILLs and
// restarts members and pauses them, while clients write, read and compare-and-set.
// No anomaly is allowed: the history is linearizable, every acknowledged write is in the
// store's history, and a watcher saw every revision once, in order, across leader changes.
// `node scripts/partition-soak.mjs` runs longer and over more seeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAULT_KINDS, runPartitionFaults } from './support/partition-run.js';

const SEED = Number(process.env['FAULT_SEED'] ?? 11);
const DURATION_MS = Number(process.env['FAULT_DURATION_S'] ?? 40) * 1000;
const CLIENTS = 6;
/** A write may wait out a partition, an election and a restart, not more. */
const UNAVAILABLE_MS_MAX = 15_000;

test(`a three-member cluster stays correct under partitions, kill -9 and SIGSTOP (seed ${SEED})`, { timeout: DURATION_MS + 120_000 }, async () => {
  const report = await runPartitionFaults({ seed: SEED, durationMs: DURATION_MS, clients: CLIENTS, log: (line) => console.log(line) });
  console.log(`operations: ${report.operations} (${report.answered} answered); faults: ${JSON.stringify(report.faults)}; ` +
    `watched revisions: ${report.watchedRevisions}; longest unavailability: ${report.longestUnavailableMs} ms; anomalies: ${report.anomalies.length}`);
  assert.deepEqual(report.anomalies, []);
  assert.equal(report.linearizable, true, 'the checker could not decide within its budget');
  assert.ok(report.answered > 200, `too few operations were answered (${report.answered}) to check anything`);
  for (const kind of FAULT_KINDS) assert.ok((report.faults[kind] ?? 0) > 0, `no ${kind} fault was injected`);
  assert.ok(report.watchedRevisions > 50, 'the watcher saw too little to check');
  assert.ok(report.longestUnavailableMs < UNAVAILABLE_MS_MAX, `writes stopped for ${report.longestUnavailableMs} ms`);
});
