// Snapshots travel on their own connection: a large one arrives whole while small
// messages keep flowing, and the sender learns the outcome through onSnapshotStatus.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeMessage, MessageType, type Message } from '../../src/raft/message.js';
import { freePort } from '../support/free-port.js';
import { closeAll, connectAndWait, numbered, startMember, waitUntil, type Member } from './transport-fixture.js';

const MiB = 1024 * 1024;

function snapshotMessage(from: bigint, to: bigint, dataBytes: number): Message {
  const data = new Uint8Array(dataBytes);
  // A pattern, so a chunk lost, repeated or reordered on the way would show.
  for (let i = 0; i < dataBytes; i += 4096) data[i] = (i / 4096) & 0xff;
  return makeMessage({
    type: MessageType.MsgSnap, from, to, term: 3,
    snapshot: { metadata: { index: 1000, term: 2, confState: { voters: [from, to], learners: [] } }, data },
  });
}

test('a 20 MiB snapshot arrives whole and the sender is told it succeeded', async () => {
  const members = [await startMember(1n), await startMember(2n)];
  const [a, b] = members as [Member, Member];
  try {
    await connectAndWait(members);
    const snap = snapshotMessage(a.id, b.id, 20 * MiB);
    a.transport.send([snap, numbered(a.id, b.id, 1)]);
    await waitUntil('the snapshot status', () => a.snapshotStatuses.length === 1, 30_000);
    assert.deepEqual(a.snapshotStatuses, [{ peer: b.id, ok: true }]);
    const received = b.received.find((m) => m.type === MessageType.MsgSnap);
    assert.ok(received?.snapshot);
    assert.deepEqual(received.snapshot.metadata, snap.snapshot?.metadata);
    assert.equal(received.snapshot.data.length, 20 * MiB);
    assert.ok(Buffer.from(received.snapshot.data).equals(Buffer.from(snap.snapshot?.data ?? [])), 'data is byte for byte the same');
    assert.ok(b.received.some((m) => m.type === MessageType.MsgHeartbeat && m.index === 1), 'the heartbeat was not held back');
    assert.deepEqual(a.unreachable, []);
  } finally {
    await closeAll(members);
  }
});

test('a snapshot to a peer that is down is reported failed and unreachable', async () => {
  const a = await startMember(1n);
  try {
    a.transport.setPeer(2n, [`http://127.0.0.1:${await freePort()}`]);
    a.transport.send([snapshotMessage(1n, 2n, 1024)]);
    await waitUntil('the snapshot status', () => a.snapshotStatuses.length === 1);
    assert.deepEqual(a.snapshotStatuses, [{ peer: 2n, ok: false }]);
    assert.ok(a.unreachable.includes(2n));
    assert.ok(a.logger.lines.some((l) => l.msg === 'failed to send database snapshot to remote peer'));
  } finally {
    await a.transport.close();
  }
});

test('a snapshot to a member of another cluster is refused and reported failed', async () => {
  const a = await startMember(1n);
  const stranger = await startMember(2n, { clusterId: 0xbadn });
  try {
    a.transport.setPeer(2n, stranger.transport.boundUrls);
    a.transport.send([snapshotMessage(1n, 2n, 1024)]);
    await waitUntil('the snapshot status', () => a.snapshotStatuses.length === 1);
    assert.deepEqual(a.snapshotStatuses, [{ peer: 2n, ok: false }]);
    assert.deepEqual(stranger.received, []);
  } finally {
    await closeAll([a, stranger]);
  }
});

test('a second snapshot while one is in flight is refused at once; raft sends one at a time', async () => {
  const members = [await startMember(1n), await startMember(2n)];
  const [a, b] = members as [Member, Member];
  try {
    await connectAndWait(members);
    a.transport.send([snapshotMessage(a.id, b.id, 4 * MiB), snapshotMessage(a.id, b.id, 1024)]);
    assert.deepEqual(a.snapshotStatuses, [], 'reports never run inside send()');
    await Promise.resolve();
    assert.deepEqual(a.snapshotStatuses, [{ peer: b.id, ok: false }], 'the second is refused at once');
    await waitUntil('the first snapshot status', () => a.snapshotStatuses.length === 2, 30_000);
    assert.deepEqual(a.snapshotStatuses[1], { peer: b.id, ok: true });
    assert.equal(b.received.filter((m) => m.type === MessageType.MsgSnap).length, 1);
  } finally {
    await closeAll(members);
  }
});
