// The simulation's own parts, each shown to do what the whole-cluster runs rely
// on: a disk that forgets unsynced writes, a network that cuts and heals, an
// event clock that replays, and a safety monitor that does raise alarms.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EntryType, type Entry } from '../../src/raft/types.js';
import { seededRandom } from '../../src/util/seeded-random.js';
import { EventQueue } from './event-queue.js';
import { FaultCounts } from './fault-counts.js';
import { KvStateMachine, decodeCommand, encodeCommand } from './kv-state-machine.js';
import { SafetyMonitor } from './safety-monitor.js';
import { SimDisk } from './sim-disk.js';
import { SimNetwork } from './sim-network.js';

const founders = { voters: [1n, 2n, 3n], learners: [] };

function entry(index: number, term: number, data = ''): Entry {
  return { index, term, type: EntryType.Normal, data: new TextEncoder().encode(data) };
}

describe('the simulated disk', () => {
  test('a crash keeps what was fsynced and loses what was only written', () => {
    const disk = new SimDisk(founders);
    disk.appendEntries([entry(1, 1), entry(2, 1)]);
    disk.setHardState({ term: 1, vote: 1n, commit: 1 });
    disk.fsync();
    disk.appendEntries([entry(3, 1)]);
    disk.setHardState({ term: 2, vote: 2n, commit: 2 });
    assert.equal(disk.volatile.lastIndex(), 3);
    assert.equal(disk.crash(), 2);
    assert.equal(disk.volatile.lastIndex(), 2);
    assert.deepEqual(disk.volatile.initialState().hardState, { term: 1, vote: 1n, commit: 1 });
  });

  test('saving a snapshot makes earlier writes durable too, so the disk always boots', () => {
    const disk = new SimDisk(founders);
    disk.appendEntries([entry(1, 1), entry(2, 1), entry(3, 1)]);
    disk.setHardState({ term: 1, vote: 1n, commit: 3 });
    disk.snapshotAndCompact(3, founders, new Uint8Array([1]));
    disk.crash();
    assert.equal(disk.volatile.snapshot().metadata.index, 3);
    assert.equal(disk.volatile.initialState().hardState.commit, 3);
  });
});

describe('the simulated network', () => {
  const calm = { dropRate: 0, duplicateRate: 0, delayRate: 0, latencyNsMin: 10, latencyNsMax: 20, delaySpikeNsMax: 0 };

  test('a partition cuts links both ways between its sides, and healing restores them', () => {
    const net = new SimNetwork(seededRandom(1), calm, new FaultCounts());
    net.partition([[1n], [2n, 3n]]);
    assert.deepEqual(net.plan(1n, 2n), []);
    assert.deepEqual(net.plan(3n, 1n), []);
    assert.equal(net.plan(2n, 3n).length, 1);
    net.heal();
    assert.equal(net.plan(1n, 2n).length, 1);
  });

  test('loss and duplication happen at about their rates, and are counted', () => {
    const counts = new FaultCounts();
    const net = new SimNetwork(seededRandom(2), { ...calm, dropRate: 0.2, duplicateRate: 0.1 }, counts);
    let copies = 0;
    for (let i = 0; i < 2000; i++) copies += net.plan(1n, 2n).length;
    assert.ok(counts.get('message-drop') > 300 && counts.get('message-drop') < 500, `drops ${counts.get('message-drop')}`);
    assert.ok(counts.get('message-duplicate') > 100, `duplicates ${counts.get('message-duplicate')}`);
    assert.equal(copies, 2000 - counts.get('message-drop') + counts.get('message-duplicate'));
  });
});

test('the event queue runs events in time order, ties in scheduling order', () => {
  const q = new EventQueue<string>();
  q.schedule(20, 'late');
  q.schedule(10, 'first-at-10');
  q.schedule(10, 'second-at-10');
  q.schedule(0, 'now');
  const order: string[] = [];
  for (let e = q.pop(); e !== undefined; e = q.pop()) order.push(`${e}@${q.nowNs}`);
  assert.deepEqual(order, ['now@0', 'first-at-10@10', 'second-at-10@10', 'late@20']);
});

test('the state machine applies a duplicated proposal once, and survives a snapshot round trip', () => {
  const kv = new KvStateMachine();
  const cmd = decodeCommand(encodeCommand({ rid: 'r1', kind: 'cas', key: 'k', expected: null, value: 'v' }));
  assert.ok(cmd !== undefined);
  assert.deepEqual(kv.apply(cmd), { kind: 'cas', ok: true });
  assert.equal(kv.apply(cmd), undefined);
  const restored = KvStateMachine.decode(kv.encode());
  assert.equal(restored.get('k'), 'v');
  assert.equal(restored.apply(cmd), undefined);
});

describe('the safety monitor raises alarms', () => {
  test('two leaders in one term', () => {
    const monitor = new SafetyMonitor();
    monitor.observeLeader(1n, 5);
    monitor.observeLeader(1n, 5);
    monitor.observeLeader(2n, 6);
    assert.deepEqual(monitor.violations, []);
    monitor.observeLeader(3n, 6);
    assert.deepEqual(monitor.violations, ['two leaders in term 6: 2 and 3']);
  });

  test('two members applying different entries at the same index', () => {
    const monitor = new SafetyMonitor();
    monitor.observeApply(1n, entry(1, 1, 'a'));
    monitor.observeApply(2n, entry(1, 1, 'a'));
    assert.deepEqual(monitor.violations, []);
    monitor.observeApply(3n, entry(1, 2, 'b'));
    assert.equal(monitor.violations.length, 1);
    assert.match(monitor.violations[0] ?? '', /member 3 applied entry 1 of term 2/);
  });
});
