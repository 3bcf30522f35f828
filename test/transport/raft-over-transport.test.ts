// Three raft members wired the way the server wires them (driver hooks.send into
// the transport, onMessage into step, reports into reportUnreachable/reportSnapshot)
// elect a leader over loopback, replicate writes, and carry on when a member restarts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SILENT_LOGGER } from '../../src/log/logger.js';
import { RaftNode } from '../../src/raft/raft-node.js';
import { RaftState } from '../../src/raft/raft-state.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import { EntryType, type MemberId } from '../../src/raft/types.js';
import { RaftDriver } from '../../src/server/raft-driver.js';
import { PeerTransport } from '../../src/transport/peer-transport.js';
import { seededRandom } from '../../src/util/seeded-random.js';
import { CLUSTER_ID, waitUntil } from './transport-fixture.js';

const VOTERS: readonly MemberId[] = [1n, 2n, 3n];
const TICK_MS = 10;

interface RaftMember {
  readonly id: MemberId;
  readonly node: RaftNode;
  readonly driver: RaftDriver;
  readonly transport: PeerTransport;
  readonly storage: MemoryStorage;
  /** Data of applied normal entries, in apply order. */
  readonly applied: string[];
}

/** What survives a restart: the raft log and hard state (the WAL's job), and what was applied. */
interface Durable {
  readonly storage: MemoryStorage;
  readonly applied: string[];
  readonly appliedIndex: number;
}

async function startRaftMember(id: MemberId, listenUrl: string, durable?: Durable): Promise<RaftMember> {
  const storage = durable?.storage ?? new MemoryStorage({ voters: VOTERS, learners: [] });
  const applied = durable?.applied ?? [];
  const node = new RaftNode({
    id, electionTicks: 10, heartbeatTicks: 1, storage, random: seededRandom(Number(id) * 7919).next,
    maxSizePerMsgBytes: 1024 * 1024, maxInflightMsgs: 256, preVote: true, checkQuorum: true,
    readOnlyOption: 'safe', maxUncommittedEntriesBytes: 0, applied: durable?.appliedIndex ?? 0,
  });
  let driver: RaftDriver | null = null;
  const transport = await PeerTransport.listen({
    memberId: id, clusterId: CLUSTER_ID, listenUrls: [new URL(listenUrl)], logger: SILENT_LOGGER,
    onMessage: (m) => { node.step(m); driver?.schedule(); },
    onUnreachable: (peer) => { node.reportUnreachable(peer); driver?.schedule(); },
    onSnapshotStatus: (peer, ok) => { node.reportSnapshot(peer, ok); driver?.schedule(); },
  });
  const decoder = new TextDecoder();
  driver = new RaftDriver(node, storage, null, {
    applyEntries: (entries) => {
      for (const e of entries) if (e.type === EntryType.Normal && e.data.length > 0) applied.push(decoder.decode(e.data));
    },
    send: (messages) => transport.send(messages),
    idleButForWrites: () => false,
    sentAll: () => transport.sentAll(),
    onReadState: () => undefined,
    onLeaderChange: () => undefined,
    onFatal: (error) => { throw error; },
    // This test never compacts the log, so no snapshot is ever sent.
    installSnapshot: async () => undefined,
  }, SILENT_LOGGER);
  return { id, node, driver, transport, storage, applied };
}

async function stopRaftMember(m: RaftMember): Promise<void> {
  await m.driver.stop();
  await m.transport.close();
}

function leaderOf(members: readonly RaftMember[]): RaftMember | undefined {
  return members.find((m) => m.node.status().raftState === RaftState.Leader);
}

test('three raft members elect a leader and replicate writes over the transport, through a restart', async () => {
  const bootstrap = await Promise.all(VOTERS.map((id) => PeerTransport.listen({
    memberId: id, clusterId: CLUSTER_ID, listenUrls: [new URL('http://127.0.0.1:0')], logger: SILENT_LOGGER, onMessage: () => undefined,
  })));
  // Ports chosen by the kernel, then released, so each member can be restarted on its own.
  const urls = bootstrap.map((t) => t.boundUrls[0] ?? '');
  await Promise.all(bootstrap.map((t) => t.close()));
  let members = await Promise.all(VOTERS.map((id, i) => startRaftMember(id, urls[i] ?? '')));
  const connect = (m: RaftMember): void => VOTERS.forEach((peer, i) => m.transport.setPeer(peer, [urls[i] ?? '']));
  try {
    for (const m of members) connect(m);
    for (const m of members) m.driver.start(TICK_MS);
    await waitUntil('a leader', () => leaderOf(members) !== undefined);
    const propose = (from: number, to: number): void => {
      const leader = leaderOf(members);
      assert.ok(leader);
      for (let i = from; i < to; i++) leader.node.propose(new TextEncoder().encode(`write-${i}`));
      leader.driver.schedule();
    };
    propose(0, 300);
    await waitUntil('every member to apply 300 writes', () => members.every((m) => m.applied.length === 300));
    const expected = Array.from({ length: 300 }, (_, i) => `write-${i}`);
    for (const m of members) assert.deepEqual(m.applied, expected);

    // A follower goes away; the other two still commit; it comes back on the same URL and catches up.
    const follower = members.find((m) => m !== leaderOf(members));
    assert.ok(follower);
    await stopRaftMember(follower);
    const rest = members.filter((m) => m !== follower);
    const kept: Durable = { storage: follower.storage, applied: follower.applied, appliedIndex: follower.node.status().applied };
    members = rest;
    propose(300, 400);
    await waitUntil('the remaining two to apply', () => rest.every((m) => m.applied.length === 400));
    const back = await startRaftMember(follower.id, urls[VOTERS.indexOf(follower.id)] ?? '', kept);
    members = [...rest, back];
    connect(back);
    back.driver.start(TICK_MS);
    await waitUntil('the restarted member to catch up', () => back.applied.length === 400);
    assert.deepEqual(back.applied, [...expected, ...Array.from({ length: 100 }, (_, i) => `write-${300 + i}`)]);
  } finally {
    await Promise.all(members.map(stopRaftMember));
  }
});
