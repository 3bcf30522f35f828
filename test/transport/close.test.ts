// close() ends everything the transport opened, even with writes, reconnects and
// a snapshot in flight: no socket, server or timer is left for the process to wait on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeMessage, MessageType } from '../../src/raft/message.js';
import { freePort } from '../support/free-port.js';
import { closeAll, connectAndWait, numbered, startMember, type Member } from './transport-fixture.js';

/** The kinds of handle a transport creates: sockets, listeners, timers. */
const TRANSPORT_HANDLE_KINDS = new Set(['TCPSocketWrap', 'TCPServerWrap', 'Timeout']);

/** Counts of those handles that keep the process alive, e.g. { TCPSocketWrap: 2 }. */
function liveHandles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    if (TRANSPORT_HANDLE_KINDS.has(kind)) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

async function settled(): Promise<void> {
  // Closing callbacks run on the next turns of the loop.
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

test('closing with messages, a reconnect timer and a snapshot in flight leaves no handles', async () => {
  const before = liveHandles();
  const members = [await startMember(1n), await startMember(2n), await startMember(3n)];
  const [a, b] = members as [Member, Member, Member];
  await connectAndWait(members);
  a.transport.setPeer(9n, [`http://127.0.0.1:${await freePort()}`]);
  const snapshot = makeMessage({
    type: MessageType.MsgSnap, from: a.id, to: b.id, term: 1,
    snapshot: { metadata: { index: 5, term: 1, confState: { voters: [a.id, b.id], learners: [] } }, data: new Uint8Array(8 * 1024 * 1024) },
  });
  a.transport.send([snapshot, ...Array.from({ length: 2000 }, (_, i) => numbered(a.id, b.id, i)), numbered(a.id, 9n, 0)]);
  b.transport.send(Array.from({ length: 2000 }, (_, i) => numbered(b.id, a.id, i)));
  const sockets = (m: Map<string, number>): number => m.get('TCPSocketWrap') ?? 0;
  assert.ok(sockets(liveHandles()) >= sockets(before) + 6, 'each member holds connections to the others');

  await closeAll(members);
  await settled();
  assert.deepEqual(liveHandles(), before);
  assert.deepEqual(a.snapshotStatuses, [], 'no reports after close: the owner is shutting down');
});

test('close is safe twice, and sends after it are ignored without throwing', async () => {
  const a = await startMember(1n);
  a.transport.setPeer(2n, ['http://127.0.0.1:9']);
  const first = a.transport.close();
  const second = a.transport.close();
  assert.equal(first, second);
  await first;
  a.transport.send([numbered(1n, 2n, 0)]);
  a.transport.setPeer(3n, ['http://127.0.0.1:9']);
  a.transport.removePeer(2n);
  await a.transport.close();
  assert.ok(a.logger.lines.some((l) => l.msg === 'stopped peer transport'));
});

test('removing a peer closes its connection and later messages to it are dropped', async () => {
  const members = [await startMember(1n), await startMember(2n)];
  const [a, b] = members as [Member, Member];
  try {
    await connectAndWait(members);
    a.transport.removePeer(b.id);
    const droppedBefore = a.transport.stats().dropped;
    a.transport.send([numbered(a.id, b.id, 1)]);
    assert.equal(a.transport.stats().dropped, droppedBefore + 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(b.received, []);
  } finally {
    await closeAll(members);
  }
});
