// The opening of a message stream connection: the preface read from any chunking,
// refusals with their statuses, and an idle stream kept open by keep-alives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as connectNet } from 'node:net';
import {
  encodePreface, PREFACE_MAGIC, PrefaceError, readAnswer, readPreface, ANSWER_BYTES,
} from '../../src/transport/message-stream-preface.js';
import { PING_TIMEOUT_MS } from '../../src/transport/transport-limits.js';
import { STATUS_MEMBER_REMOVED, STATUS_PRECONDITION_FAILED } from '../../src/transport/wire-protocol.js';
import { CLUSTER_ID, closeAll, connectAndWait, numbered, startMember, waitUntil, type Member } from './transport-fixture.js';

test('a preface reads back from any split into two chunks, with the bytes after it kept', () => {
  const preface = encodePreface(0xfedcba9876543210n, 1n, 0xffffffffffffffffn);
  const whole = Buffer.concat([preface, Buffer.from([1, 2, 3])]);
  for (let cut = 0; cut < preface.length; cut++) {
    assert.equal(readPreface(whole.subarray(0, cut)).kind, 'partial', `cut at ${cut}`);
  }
  const read = readPreface(whole);
  assert.equal(read.kind, 'complete');
  if (read.kind !== 'complete') return;
  assert.deepEqual(read.claims, { version: '2', clusterId: 0xfedcba9876543210n, from: 1n, to: 0xffffffffffffffffn });
  assert.deepEqual([...read.rest], [1, 2, 3]);
});

test('bytes that are not a preface, or a version line without end, are refused as soon as they show it', () => {
  assert.throws(() => readPreface(Buffer.from('PRI * HTTP/2.0\r\n')), PrefaceError);
  assert.throws(() => readPreface(Buffer.from('etcd-ts-rafX')), PrefaceError);
  assert.throws(() => readPreface(Buffer.from(`${PREFACE_MAGIC.toString()}${'9'.repeat(64)}`)), PrefaceError);
  assert.deepEqual(readPreface(Buffer.from(`${PREFACE_MAGIC.toString()}17\nanything`)), { kind: 'other-version', version: '17' });
});

function hostPort(member: Member): { host: string; port: number } {
  const url = new URL(member.transport.boundUrls[0] ?? '');
  return { host: url.hostname, port: Number(url.port) };
}

/** Sends `preface` to `target` and returns the status it answers and whether it then closed. */
async function answerTo(target: Member, preface: Buffer): Promise<{ status: number; closed: boolean }> {
  const socket = connectNet(hostPort(target));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(preface);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = await Promise.race([
    new Promise<boolean>((resolve) => socket.once('end', () => resolve(true))),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000)),
  ]);
  socket.destroy();
  await closed;
  const answer = Buffer.concat(chunks);
  assert.equal(answer.length, ANSWER_BYTES, 'exactly one answer');
  return { status: readAnswer(answer).status, closed: ended };
}

test('a stream from another version, another cluster, to another member or from a removed member is refused with its status', async () => {
  const removed = new Set<bigint>([9n]);
  const b = await startMember(2n, { isRemoved: (id) => removed.has(id) });
  try {
    const otherVersion = Buffer.concat([Buffer.from(`${PREFACE_MAGIC.toString()}1\n`), Buffer.alloc(24)]);
    assert.deepEqual(await answerTo(b, otherVersion), { status: STATUS_PRECONDITION_FAILED, closed: true });
    assert.deepEqual(await answerTo(b, encodePreface(0xbadn, 7n, 2n)), { status: STATUS_PRECONDITION_FAILED, closed: true });
    assert.deepEqual(await answerTo(b, encodePreface(CLUSTER_ID, 7n, 3n)), { status: STATUS_PRECONDITION_FAILED, closed: true });
    assert.deepEqual(await answerTo(b, encodePreface(CLUSTER_ID, 9n, 2n)), { status: STATUS_MEMBER_REMOVED, closed: true });
    const reasons = b.logger.lines.map((l) => l.msg);
    assert.ok(reasons.includes('refused peer stream: unsupported peer protocol version'));
    assert.ok(reasons.includes('refused peer stream: request cluster ID mismatch'));
    assert.ok(reasons.includes('refused peer stream: addressed to another member'));
    assert.deepEqual(b.received, []);
  } finally {
    await b.transport.close();
  }
});

test('a connection that starts like a preface and then is not one is closed, and the listener carries on', async () => {
  const members = [await startMember(1n), await startMember(2n)];
  const [a, b] = members as [Member, Member];
  try {
    await connectAndWait(members);
    const socket = connectNet(hostPort(b));
    socket.on('error', () => undefined);
    socket.resume();
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write('etcd-ts-raff/2\n');
    await closed;
    assert.ok(b.logger.lines.some((l) => l.msg === 'closed an inbound peer connection after a protocol error'));
    a.transport.send([numbered(a.id, b.id, 1)]);
    await waitUntil('the good link to still carry messages', () => b.received.length === 1);
  } finally {
    await closeAll(members);
  }
});

test('idle message streams stay open past the silence timeout: both ends send keep-alives', async () => {
  const members = [await startMember(1n), await startMember(2n)];
  const [a, b] = members as [Member, Member];
  try {
    await connectAndWait(members);
    await new Promise((resolve) => setTimeout(resolve, PING_TIMEOUT_MS + 1500));
    for (const m of members) {
      assert.equal(m.transport.stats().reconnects, 0, `member ${m.id} reconnected`);
      assert.ok(!m.logger.lines.some((l) => l.msg === 'lost the message stream with remote peer'), `member ${m.id} lost a stream`);
    }
    a.transport.send([numbered(a.id, b.id, 1)]);
    assert.equal(a.transport.sentAll(), true, 'a small write on an open stream reaches the kernel inside send()');
    b.transport.send([numbered(b.id, a.id, 2)]);
    await waitUntil('both links to still carry messages', () => a.received.length === 1 && b.received.length === 1);
  } finally {
    await closeAll(members);
  }
});
