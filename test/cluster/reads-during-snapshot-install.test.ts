// A member installing a snapshot from the leader replaces its backend's contents in
// slices, committing between them. Clients reading from that member meanwhile (serializable
// ranges, a watch catching up from history) must never see the half-replaced backend:
// they wait for the install and then read the new state, as etcd's readers wait for its
// store restore. The member holds more records than one slice, so the install has gaps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3, type Watcher } from 'etcd3';
import { ClusterProcess } from './support/cluster-process.js';
import { agreedLeader } from './support/cluster-status.js';
import { RawKvPool, type RawKv } from '../support/raw-kv.js';
import { putAll } from './support/parallel-puts.js';
import { seededRandom } from '../../src/util/seeded-random.js';

const SNAPSHOT_COUNT = 100;
/** Above the install's slice (10,000 entries), so the old records go over several commits. */
const EARLY_KEYS = 24_000;
/** More entries than the leader keeps for slow followers (SNAPSHOT_CATCH_UP_ENTRIES, 5,000) after a snapshot. */
const WRITES_WHILE_FROZEN = 5_600;
const READERS = 4;
const READ_LIMIT = 50;
const LEADER_DEADLINE_MS = 15_000;
const POLL_MS = 200;
const POLLS_MAX = 300;
const READS_AFTER_INSTALL_MS = 500;

const EARLY = { key: Buffer.from('early/'), rangeEnd: Buffer.from('early0') };

const earlyKey = (i: number): Buffer => Buffer.from(`early/${String(i).padStart(5, '0')}`);
const earlyValue = (i: number): Buffer => Buffer.from(`v${i}`);

async function earlyCount(kv: RawKv): Promise<number> {
  return Number((await kv.range({ ...EARLY, countOnly: true, serializable: true })).count);
}

interface ReadLog {
  reads: number;
  readonly failures: string[];
}

/**
 * Reads runs of early keys from random places (so the record cache cannot answer them)
 * until `stop` aborts; collects what went wrong.
 */
async function readUntil(kv: RawKv, seed: number, stop: AbortSignal, log: ReadLog): Promise<void> {
  const random = seededRandom(seed);
  for (let round = 0; !stop.aborted && round < 1_000_000; round++) {
    const first = random.int(0, EARLY_KEYS - READ_LIMIT);
    try {
      const response = await kv.range({ key: earlyKey(first), rangeEnd: EARLY.rangeEnd, limit: READ_LIMIT, serializable: true });
      const wrong = response.kvs.find((item, i) => item.key.compare(earlyKey(first + i)) !== 0 || item.value.toString() !== `v${first + i}`);
      if (response.kvs.length !== READ_LIMIT) log.failures.push(`${response.kvs.length} keys from ${first}`);
      else if (wrong !== undefined) log.failures.push(`wrong answer from ${first}: ${wrong.key.toString()}=${wrong.value.toString()}`);
      log.reads++;
    } catch (error) {
      log.failures.push(String(error));
    }
  }
}

test('reads and watches on a member installing a snapshot wait for it, and never see it half done', { timeout: 300_000 }, async () => {
  const cluster = await ClusterProcess.start(3, { args: [`--snapshot-count=${SNAPSHOT_COUNT}`] });
  const frozen = cluster.member(2);
  const clients = new RawKvPool();
  const client = (endpoint: string): RawKv => clients.open(endpoint);
  const watchClient = new Etcd3({ hosts: `http://${frozen.endpoint}`, dialTimeout: 5_000 });
  const stopReading = new AbortController();
  const watchers: Promise<Watcher>[] = [];
  try {
    await agreedLeader(cluster.endpoints(), LEADER_DEADLINE_MS);
    await putAll(client(cluster.member(0).endpoint), EARLY_KEYS, earlyKey, earlyValue);
    const frozenKv = client(frozen.endpoint);
    let seen = 0;
    for (let poll = 0; poll < POLLS_MAX && seen < EARLY_KEYS; poll++) {
      seen = await earlyCount(frozenKv);
      if (seen < EARLY_KEYS) await sleep(POLL_MS);
    }
    assert.equal(seen, EARLY_KEYS, 'the member to freeze applied every write');

    frozen.pause();
    await putAll(client(cluster.member(0).endpoint), WRITES_WHILE_FROZEN, (i) => Buffer.from(`fill/${i}`), earlyValue);

    // Queued while the member is frozen, so they run from the moment it thaws.
    const log: ReadLog = { reads: 0, failures: [] };
    const readers = Array.from({ length: READERS }, (_, i) => readUntil(client(frozen.endpoint), i + 1, stopReading.signal, log));
    const watched = new Set<string>();
    const watcher = watchClient.watch().prefix('early/').startRevision('1').create();
    watcher.then((w) => w.on('put', (kv) => watched.add(kv.key.toString()))).catch(() => undefined);
    watchers.push(watcher);

    frozen.resume();
    for (let poll = 0; poll < POLLS_MAX && !frozen.logs().includes('applied snapshot from the leader'); poll++) await sleep(POLL_MS);
    assert.match(frozen.logs(), /applied snapshot from the leader/);
    await sleep(READS_AFTER_INSTALL_MS);
    stopReading.abort();
    await Promise.all(readers);

    assert.deepEqual(log.failures.slice(0, 5), [], `${log.failures.length} of ${log.reads + log.failures.length} reads went wrong`);
    assert.ok(log.reads > READERS, `the readers ran (${log.reads} reads)`);
    for (let poll = 0; poll < POLLS_MAX && watched.size < EARLY_KEYS; poll++) await sleep(POLL_MS);
    assert.equal(watched.size, EARLY_KEYS, 'the watcher saw every early key once');
  } finally {
    stopReading.abort();
    frozen.resume();
    for (const watcher of watchers) await (await watcher).cancel();
    watchClient.close();
    clients.closeAll();
    await cluster.stop();
  }
});
