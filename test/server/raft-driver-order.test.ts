// The raft driver's order of I/O: a leader hands its messages to the transport
// before it applies or writes anything (followers persist in parallel), while a follower
// or candidate sends only after its own write is durable, because its messages
// (votes, append acknowledgements) promise what is on its disk. A write that may block
// the event loop (the server is idle) starts only after the answers of entries
// applied in the same pass went out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SILENT_LOGGER } from '../../src/log/logger.js';
import { makeMessage, MessageType, type Message } from '../../src/raft/message.js';
import { RaftNode } from '../../src/raft/raft-node.js';
import { MemoryStorage } from '../../src/raft/storage.js';
import type { Entry, HardState } from '../../src/raft/types.js';
import { RaftDriver, type RaftPersistence } from '../../src/server/raft-driver.js';
import { seededRandom } from '../raft/support/prng.js';

const SELF = 1n;
const PEER = 2n;
const WAIT_STEP_MS = 5;
const WAIT_STEPS_MAX = 200;

/** A WAL whose saves finish only when the test says so; it logs what happened in order. */
class HeldPersistence implements RaftPersistence {
  readonly events: string[] = [];
  private release: (() => void) | null = null;

  save(_hardState: HardState | null, entries: readonly Entry[], inline: boolean): Promise<void> {
    this.events.push(`save started (${entries.length} entries${inline ? ', inline' : ''})`);
    return new Promise((resolve) => {
      this.release = () => {
        this.events.push('save done');
        resolve();
      };
    });
  }

  finishSave(): void {
    const release = this.release;
    this.release = null;
    release?.();
  }

  get saving(): boolean {
    return this.release !== null;
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < WAIT_STEPS_MAX && !condition(); i++) await new Promise((r) => setTimeout(r, WAIT_STEP_MS));
  assert.ok(condition(), `timed out waiting for ${what}`);
}

function startDriver(idle = false, sentAll = false): { node: RaftNode; driver: RaftDriver; wal: HeldPersistence } {
  const storage = new MemoryStorage({ voters: [SELF, PEER], learners: [] });
  const node = new RaftNode({
    id: SELF, storage, electionTicks: 10, heartbeatTicks: 1, random: seededRandom(3),
    maxSizePerMsgBytes: 1 << 20, maxInflightMsgs: 256, preVote: false, checkQuorum: false,
    readOnlyOption: 'safe', maxUncommittedEntriesBytes: 0,
  });
  const wal = new HeldPersistence();
  const driver = new RaftDriver(node, storage, wal, {
    installSnapshot: async () => undefined,
    applyEntries: (entries) => {
      wal.events.push(`applied ${entries.length}`);
      // As the API does: a reply leaves in a later tick, a watch event in a microtask.
      process.nextTick(() => wal.events.push('reply flushed'));
      queueMicrotask(() => wal.events.push('event flushed'));
    },
    send: (messages: readonly Message[]) => {
      for (const m of messages) wal.events.push(`sent ${MessageType[m.type]}`);
    },
    idleButForWrites: () => idle,
    sentAll: () => sentAll,
    onReadState: () => undefined,
    onLeaderChange: () => undefined,
    onFatal: (error) => {
      throw error;
    },
  }, SILENT_LOGGER);
  return { node, driver, wal };
}

const LEADER_CASES = [
  { idle: false, sentAll: true, leaderSave: 'save started (1 entries)', what: '' },
  { idle: true, sentAll: false, leaderSave: 'save started (1 entries)', what: ' (idle server, appends still queued: the leader writes in the thread pool)' },
  { idle: true, sentAll: true, leaderSave: 'save started (1 entries, inline)', what: ' (idle server, appends with the kernel: the leader writes inline)' },
];

for (const { idle, sentAll, leaderSave, what } of LEADER_CASES) test(`a candidate persists its vote before asking for votes; as leader it sends appends before its write is durable${what}`, async () => {
  const { node, driver, wal } = startDriver(idle, sentAll);
  node.campaign();
  driver.schedule();
  await until(() => wal.saving, 'the candidate to save its term and vote');
  assert.deepEqual(wal.events, [`save started (0 entries${idle ? ', inline' : ''})`], 'no vote request goes out before the vote is durable');
  wal.finishSave();
  await until(() => wal.events.includes('sent MsgVote'), 'the vote request');
  node.step(makeMessage({ type: MessageType.MsgVoteResp, from: PEER, to: SELF, term: node.term }));
  driver.schedule();
  await until(() => wal.saving, 'the new leader to save its first entry');
  const sinceElected = wal.events.slice(wal.events.indexOf('sent MsgVote') + 1);
  assert.deepEqual(sinceElected, ['sent MsgApp', leaderSave], 'the leader sent its append before its own write finished');
  wal.finishSave();
  await driver.stop();
});

test('a follower acknowledges appended entries only after they are durable', async () => {
  const { node, driver, wal } = startDriver();
  const entry: Entry = { term: 1, index: 1, type: 0, data: new Uint8Array([1]) };
  node.step(makeMessage({ type: MessageType.MsgApp, from: PEER, to: SELF, term: 1, logTerm: 0, index: 0, entries: [entry], commit: 0 }));
  driver.schedule();
  await until(() => wal.saving, 'the follower to save the entry');
  assert.ok(!wal.events.some((e) => e.startsWith('sent')), 'nothing sent before the entry is durable');
  wal.finishSave();
  await until(() => wal.events.includes('sent MsgAppResp'), 'the acknowledgement');
  assert.deepEqual(wal.events, ['save started (1 entries)', 'save done', 'sent MsgAppResp']);
  await driver.stop();
});

for (const idle of [false, true]) {
  test(`a Ready that applies and appends: the write ${idle ? 'waits for the answers when it may block the loop' : 'starts at once in the thread pool'}`, async () => {
    const { node, driver, wal } = startDriver(idle);
    const first: Entry = { term: 1, index: 1, type: 0, data: new Uint8Array([1]) };
    node.step(makeMessage({ type: MessageType.MsgApp, from: PEER, to: SELF, term: 1, logTerm: 0, index: 0, entries: [first], commit: 0 }));
    driver.schedule();
    await until(() => wal.saving, 'the first entry to be saved');
    wal.finishSave();
    await until(() => wal.events.includes('sent MsgAppResp'), 'the first acknowledgement');
    wal.events.length = 0;
    // Commits the first entry and appends a second: one Ready applies and saves.
    const second: Entry = { term: 1, index: 2, type: 0, data: new Uint8Array([2]) };
    node.step(makeMessage({ type: MessageType.MsgApp, from: PEER, to: SELF, term: 1, logTerm: 1, index: 1, entries: [second], commit: 1 }));
    driver.schedule();
    await until(() => wal.saving, 'the second entry to be saved');
    await until(() => wal.events.includes('reply flushed'), 'the answers');
    const save = idle ? 'save started (1 entries, inline)' : 'save started (1 entries)';
    assert.deepEqual([...wal.events].sort(), ['applied 1', 'event flushed', 'reply flushed', save].sort());
    assert.equal(wal.events[0], 'applied 1');
    const saveAt = wal.events.indexOf(save);
    if (idle) assert.equal(saveAt, 3, 'the blocking write starts after both answers went out');
    else assert.equal(saveAt, 1, 'the thread-pool write starts before the answers go out');
    wal.finishSave();
    await driver.stop();
  });
}

test('a leader whose Ready commits some entries and appends others sends the appends before applying', async () => {
  const { node, driver, wal } = startDriver(false, true);
  node.campaign();
  driver.schedule();
  await until(() => wal.saving, 'the candidate to save its term and vote');
  wal.finishSave();
  await until(() => wal.events.includes('sent MsgVote'), 'the vote request');
  node.step(makeMessage({ type: MessageType.MsgVoteResp, from: PEER, to: SELF, term: node.term }));
  driver.schedule();
  await until(() => wal.saving, 'the new leader to save its first entry');
  wal.finishSave();
  await until(() => wal.events.at(-1) === 'save done', 'the first entry to be durable');
  // The peer's acknowledgement commits the first entry while a proposal adds a second:
  // one Ready then both applies and appends.
  wal.events.length = 0;
  node.step(makeMessage({ type: MessageType.MsgAppResp, from: PEER, to: SELF, term: node.term, index: 1 }));
  node.propose(new Uint8Array([7]));
  driver.schedule();
  await until(() => wal.saving, 'the second entry to be saved');
  const at = (event: string): number => wal.events.indexOf(event);
  assert.ok(at('sent MsgApp') >= 0 && at('sent MsgApp') < at('applied 1'), `followers get the append without waiting for the apply: ${wal.events.join(', ')}`);
  assert.ok(at('applied 1') < at('save started (1 entries)'), 'committed entries are still applied before the write');
  wal.finishSave();
  await driver.stop();
});
