// Members exchange thousands of messages over loopback: every message sent while
// the peers are connected arrives, exactly once, in the order it was sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageType } from '../../src/raft/message.js';
import type { MemberId } from '../../src/raft/types.js';
import { append, closeAll, connectAll, connectAndWait, nextTurn, numbered, startMember, waitUntil, type Member } from './transport-fixture.js';

const MESSAGES_PER_PEER = 5000;
const MESSAGES_PER_SEND = 50;

/** Sends `count` numbered messages from `from` to each of `to`, one raft-Ready-sized send() per loop turn. */
async function sendNumbered(from: Member, to: readonly MemberId[], count: number): Promise<void> {
  for (let start = 0; start < count; start += MESSAGES_PER_SEND) {
    const batch = [];
    for (let seq = start; seq < Math.min(start + MESSAGES_PER_SEND, count); seq++) {
      for (const peer of to) batch.push(numbered(from.id, peer, seq));
    }
    from.transport.send(batch);
    await nextTurn();
  }
}

function sequenceFrom(member: Member, sender: MemberId): number[] {
  return member.received.filter((m) => m.from === sender).map((m) => m.index);
}

const upTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

test('two members exchange thousands of messages in both directions, in order, none lost', async () => {
  const members = [await startMember(1n), await startMember(2n)];
  const [a, b] = members as [Member, Member];
  try {
    await connectAndWait(members);
    await Promise.all([sendNumbered(a, [b.id], MESSAGES_PER_PEER), sendNumbered(b, [a.id], MESSAGES_PER_PEER)]);
    await waitUntil('all messages delivered', () => a.received.length === MESSAGES_PER_PEER && b.received.length === MESSAGES_PER_PEER);
    assert.deepEqual(sequenceFrom(b, a.id), upTo(MESSAGES_PER_PEER));
    assert.deepEqual(sequenceFrom(a, b.id), upTo(MESSAGES_PER_PEER));
    assert.ok(b.received.every((m) => m.to === b.id && m.type === MessageType.MsgHeartbeat));
    assert.deepEqual(a.unreachable, []);
    assert.equal(a.transport.stats().sent, MESSAGES_PER_PEER + 1, 'every message and the probe');
    assert.equal(b.transport.stats().received, MESSAGES_PER_PEER + 1);
    assert.equal(a.transport.stats().dropped, 0);
    const toB = a.transport.peerStats().get(b.id);
    assert.equal(toB?.active, true);
    assert.equal(toB?.sentFailures, 0);
    // Both directions carried the same messages, so the byte counts of the two ends agree.
    assert.equal(toB?.sentBytes, b.transport.peerStats().get(a.id)?.receivedBytes);
    assert.ok((toB?.sentBytes ?? 0) > MESSAGES_PER_PEER * 4, 'at least a frame header per message');
  } finally {
    await closeAll(members);
  }
});

test('three members all sending to each other keep per-sender order', async () => {
  const members = [await startMember(1n), await startMember(2n), await startMember(3n)];
  try {
    await connectAndWait(members);
    await Promise.all(members.map((m) => sendNumbered(m, members.filter((p) => p !== m).map((p) => p.id), MESSAGES_PER_PEER)));
    const expected = 2 * MESSAGES_PER_PEER;
    await waitUntil('all messages delivered', () => members.every((m) => m.received.length === expected));
    for (const receiver of members) {
      for (const sender of members) {
        if (sender === receiver) continue;
        assert.deepEqual(sequenceFrom(receiver, sender.id), upTo(MESSAGES_PER_PEER), `${sender.id} -> ${receiver.id}`);
      }
    }
  } finally {
    await closeAll(members);
  }
});

test('appends with entries of several kilobytes arrive with their payload intact', async () => {
  const members = [await startMember(1n), await startMember(2n)];
  const [a, b] = members as [Member, Member];
  try {
    connectAll(members);
    const count = 2000;
    for (let seq = 0; seq < count; seq++) a.transport.send([append(a.id, b.id, seq, 1 + (seq % 7) * 1000)]);
    await waitUntil('all appends delivered', () => b.received.length === count);
    assert.deepEqual(b.received.map((m) => m.index), upTo(count));
    const last = b.received[count - 1];
    assert.equal(last?.entries[0]?.data.length, 1 + ((count - 1) % 7) * 1000);
    assert.ok(last?.entries[0]?.data.every((byte) => byte === ((count - 1) & 0xff)));
  } finally {
    await closeAll(members);
  }
});

test('members listening on unix sockets talk to each other', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ts-transport-'));
  const members = [
    await startMember(1n, { listenUrls: [new URL(`unix://${join(dir, 'a.sock')}`)] }),
    await startMember(2n, { listenUrls: [new URL(`unix://${join(dir, 'b.sock')}`)] }),
  ];
  const [a, b] = members as [Member, Member];
  try {
    assert.equal(a.transport.boundUrls[0], `unix://${join(dir, 'a.sock')}`);
    connectAll(members);
    await sendNumbered(a, [b.id], 500);
    await waitUntil('messages over the unix socket', () => b.received.length === 500);
    assert.deepEqual(sequenceFrom(b, a.id), upTo(500));
  } finally {
    await closeAll(members);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('messages to a member the transport does not know are dropped and counted', async () => {
  const members = [await startMember(1n), await startMember(2n)];
  const [a, b] = members as [Member, Member];
  try {
    connectAll(members);
    a.transport.send([numbered(a.id, 99n, 0), numbered(a.id, b.id, 1)]);
    await waitUntil('the known peer receives', () => b.received.length === 1);
    assert.equal(b.received[0]?.index, 1);
    assert.equal(a.transport.stats().dropped, 1);
  } finally {
    await closeAll(members);
  }
});
