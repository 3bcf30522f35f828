// What a member sees when a peer is down, restarts, belongs to another cluster, or
// will not read: messages are dropped and reported, never queued without bound,
// and traffic flows again as soon as the peer is back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createNetServer, type Socket } from 'node:net';
import { PING_INTERVAL_MS, PING_TIMEOUT_MS } from '../../src/transport/transport-limits.js';
import { freePort } from '../support/free-port.js';
import { closeAll, connectAndWait, nextTurn, numbered, startMember, waitUntil, type Member } from './transport-fixture.js';

/** Sends a numbered message every few milliseconds until `done` holds (bounded by waitUntil's deadline). */
async function keepSendingUntil(from: Member, to: bigint, what: string, done: () => boolean): Promise<void> {
  let seq = 0;
  await waitUntil(what, () => {
    from.transport.send([numbered(from.id, to, 900_000 + seq++)]);
    return done();
  });
}

/** The indexes of received messages that were not keepSendingUntil's probes. */
function numberedIndexes(member: Member): number[] {
  return member.received.map((m) => m.index).filter((index) => index < 900_000);
}

async function sendInTurns(from: Member, to: bigint, count: number): Promise<void> {
  for (let seq = 0; seq < count; seq += 20) {
    from.transport.send(Array.from({ length: 20 }, (_, i) => numbered(from.id, to, seq + i)));
    await nextTurn();
  }
}

test('messages to a peer that is not up are dropped and reported; once it starts they flow', async () => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const a = await startMember(1n);
  const opened: Member[] = [a];
  try {
    a.transport.setPeer(2n, [url]);
    a.transport.send(Array.from({ length: 10 }, (_, i) => numbered(1n, 2n, i)));
    await waitUntil('the failed dial to be reported', () => a.unreachable.includes(2n));
    assert.ok(a.transport.stats().dropped >= 10, 'messages queued during the failed dial are dropped');
    const reportsBefore = a.unreachable.length;
    a.transport.send([numbered(1n, 2n, 10), numbered(1n, 2n, 11)]);
    assert.equal(a.unreachable.length, reportsBefore, 'reports never run inside send()');
    await Promise.resolve();
    assert.equal(a.unreachable.length, reportsBefore + 1, 'a send while the peer is down is reported at once, once per call');

    const b = await startMember(2n, { listenUrls: [new URL(url)] });
    opened.push(b);
    await keepSendingUntil(a, b.id, 'the peer to receive after it started', () => b.received.length > 0);
    assert.ok(a.transport.stats().reconnects >= 1);
    await sendInTurns(a, b.id, 1000);
    await waitUntil('a thousand messages after the reconnect', () => numberedIndexes(b).length === 1000);
    assert.deepEqual(numberedIndexes(b), Array.from({ length: 1000 }, (_, i) => i));
  } finally {
    await closeAll(opened);
  }
});

test('a peer that restarts is reported unreachable while down and reached again after', async () => {
  const a = await startMember(1n);
  let b = await startMember(2n);
  const url = b.transport.boundUrls[0] ?? '';
  try {
    await connectAndWait([a, b]);
    await b.transport.close();
    await waitUntil('the lost stream to be reported', () => a.unreachable.includes(2n));
    assert.ok(a.logger.lines.some((l) => l.level === 'warn' && l.msg === 'lost the message stream with remote peer'));

    b = await startMember(2n, { listenUrls: [new URL(url)] });
    await keepSendingUntil(a, b.id, 'the restarted peer to receive', () => b.received.length > 0);
    await sendInTurns(a, b.id, 500);
    await waitUntil('messages to the restarted peer', () => numberedIndexes(b).length === 500);
    assert.deepEqual(numberedIndexes(b), Array.from({ length: 500 }, (_, i) => i));
  } finally {
    await closeAll([a, b]);
  }
});

test('a member of another cluster is refused with a clear log line on both sides', async () => {
  const a = await startMember(1n);
  const stranger = await startMember(2n, { clusterId: 0xbadc0ffeen });
  try {
    a.transport.setPeer(2n, stranger.transport.boundUrls);
    a.transport.send([numbered(1n, 2n, 0)]);
    await waitUntil('the refusal to be reported', () => a.unreachable.includes(2n));
    const refused = stranger.logger.lines.find((l) => l.msg === 'refused peer stream: request cluster ID mismatch');
    assert.ok(refused, 'the receiver says why it refused');
    assert.equal(refused.fields['remote-peer-cluster-id'], 'c1a5e7e1d');
    assert.equal(refused.fields['local-member-cluster-id'], 'badc0ffee');
    const failed = a.logger.lines.find((l) => l.msg === 'failed to open a message stream with remote peer');
    assert.match(String(failed?.fields.reason), /status 412.*local cluster c1a5e7e1d, peer cluster badc0ffee/);
    assert.deepEqual(stranger.received, []);
    assert.equal(stranger.transport.stats().received, 0);
  } finally {
    await closeAll([a, stranger]);
  }
});

test('a peer with several URLs is reached on the one that answers', async () => {
  const a = await startMember(1n);
  const b = await startMember(2n);
  try {
    const deadUrl = `http://127.0.0.1:${await freePort()}`;
    a.transport.setPeer(b.id, [deadUrl, ...b.transport.boundUrls]);
    await keepSendingUntil(a, b.id, 'the peer to be reached on its second URL', () => b.received.length > 0);
    assert.ok(a.logger.lines.some((l) => l.msg === 'established a message stream with remote peer' && l.fields.url === b.transport.boundUrls[0]));
  } finally {
    await closeAll([a, b]);
  }
});

test('when a peer moves to a new URL (a member update), messages follow it there', async () => {
  const a = await startMember(1n);
  let b = await startMember(2n);
  try {
    await connectAndWait([a, b]);
    await b.transport.close();
    b = await startMember(2n);
    a.transport.setPeer(b.id, b.transport.boundUrls);
    await keepSendingUntil(a, b.id, 'the moved peer to receive', () => b.received.length > 0);
    await sendInTurns(a, b.id, 200);
    await waitUntil('messages at the new address', () => numberedIndexes(b).length === 200);
  } finally {
    await closeAll([a, b]);
  }
});

test('a peer that accepts the connection but never answers is given up on after the ping timeout', async () => {
  // A machine that vanished, or a process frozen solid: TCP stays up, nothing comes back.
  const sockets = new Set<Socket>();
  const silent = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.resume();
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const address = silent.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const a = await startMember(1n);
  try {
    a.transport.setPeer(2n, [`http://127.0.0.1:${port}`]);
    a.transport.send([numbered(1n, 2n, 0)]);
    const startMs = performance.now();
    await waitUntil('the silent peer to be given up on', () => a.unreachable.includes(2n), PING_TIMEOUT_MS + 2 * PING_INTERVAL_MS + 3000);
    const elapsedMs = performance.now() - startMs;
    assert.ok(elapsedMs >= PING_TIMEOUT_MS - 100, `gave up after ${elapsedMs.toFixed(0)} ms`);
    const failed = a.logger.lines.find((l) => l.msg === 'failed to open a message stream with remote peer');
    assert.match(String(failed?.fields.reason), /sent nothing for/);
    assert.equal(a.transport.stats().dropped, 1, 'the message queued for it is dropped');
  } finally {
    await a.transport.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});
