// Bytes that are not our protocol, frames that do not decode, and a peer that
// stops reading: each costs only its own connection, never the member.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { connect as connectHttp2 } from 'node:http2';
import { connect as connectNet, createServer as createNetServer, type Socket } from 'node:net';
import { encodeMessage } from '../../src/raft/message-codec.js';
import { packFrames } from '../../src/transport/frame-codec.js';
import { encodeAnswer, encodePreface, readAnswer } from '../../src/transport/message-stream-preface.js';
import { PEER_QUEUE_MESSAGES_MAX, SNAPSHOT_BYTES_MAX } from '../../src/transport/transport-limits.js';
import {
  HEADER_CLUSTER_ID, HEADER_FROM, HEADER_PROTOCOL, HEADER_TO, PROTOCOL_VERSION, SNAPSHOT_PATH,
  STATUS_BAD_REQUEST, STATUS_STREAM_OK, STATUS_TOO_LARGE,
} from '../../src/transport/wire-protocol.js';
import {
  append, CLUSTER_ID, closeAll, connectAndWait, nextTurn, numbered, startMember, waitUntil, type Member,
} from './transport-fixture.js';

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

/** Opens a message stream to `target` as member 7 would, and writes `body` on it once accepted. */
async function rawStream(target: Member, body: Buffer): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = connectNet(hostPort(target.transport.boundUrls[0] ?? ''));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(encodePreface(CLUSTER_ID, 7n, target.id));
  const answer = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
  assert.equal(readAnswer(answer).status, STATUS_STREAM_OK);
  socket.resume();
  socket.write(body);
  return { socket, closed };
}

async function stillServes(a: Member, b: Member): Promise<void> {
  const before = b.received.length;
  a.transport.send([numbered(a.id, b.id, 4242)]);
  await waitUntil('a well-behaved peer to still get through', () => b.received.length === before + 1);
}

test('garbage instead of HTTP/2 closes that connection and the listener carries on', async () => {
  const members = [await startMember(1n), await startMember(2n)];
  const [a, b] = members as [Member, Member];
  try {
    await connectAndWait(members);
    const socket = connectNet(hostPort(b.transport.boundUrls[0] ?? ''));
    socket.on('error', () => undefined);
    socket.resume();
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\x01\x02 definitely not a raft frame');
    await closed;
    assert.ok(b.logger.lines.some((l) => l.msg === 'closed an inbound peer connection after a protocol error'));
    await stillServes(a, b);
  } finally {
    await closeAll(members);
  }
});

test('a frame that does not decode closes the sender\'s connection, after the good frames before it', async () => {
  const members = [await startMember(1n), await startMember(2n)];
  const [a, b] = members as [Member, Member];
  try {
    await connectAndWait(members);
    const raw = await rawStream(b, packFrames([encodeMessage(numbered(7n, b.id, 1))]));
    await waitUntil('the good frame', () => b.received.some((m) => m.from === 7n));
    raw.socket.write(packFrames([Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]), encodeMessage(numbered(7n, b.id, 2))]));
    await raw.closed;
    assert.ok(b.logger.lines.some((l) => l.msg === 'closed peer connection after a malformed message'));
    assert.deepEqual(b.received.filter((m) => m.from === 7n).map((m) => m.index), [1], 'nothing after the bad frame');
    await stillServes(a, b);
  } finally {
    await closeAll(members);
  }
});

test('a frame length beyond the limit closes the connection before anything is buffered', async () => {
  const members = [await startMember(1n), await startMember(2n)];
  const [a, b] = members as [Member, Member];
  try {
    await connectAndWait(members);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(0xffffffff);
    const raw = await rawStream(b, header);
    await raw.closed;
    assert.match(String(b.logger.lines.find((l) => l.msg === 'closed peer connection after a malformed message')?.fields.error), /exceeds the limit/);
    await stillServes(a, b);
  } finally {
    await closeAll(members);
  }
});

test('messages addressed to another member are dropped on arrival', async () => {
  const members = [await startMember(1n), await startMember(2n)];
  const [, b] = members as [Member, Member];
  try {
    await connectAndWait(members);
    const raw = await rawStream(b, packFrames([encodeMessage(numbered(7n, 3n, 1)), encodeMessage(numbered(7n, b.id, 2))]));
    await waitUntil('the message for this member', () => b.received.some((m) => m.from === 7n));
    assert.deepEqual(b.received.filter((m) => m.from === 7n).map((m) => m.index), [2]);
    assert.equal(b.transport.stats().dropped, 1);
    raw.socket.destroy();
    await raw.closed;
  } finally {
    await closeAll(members);
  }
});

/** A peer that accepts the message stream and then never reads a byte: a stalled process or full socket. */
async function stalledPeer(): Promise<{ url: string; accepted: Socket[]; close(): Promise<void> }> {
  const accepted: Socket[] = [];
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => {
      socket.pause();
      socket.write(encodeAnswer(STATUS_STREAM_OK, CLUSTER_ID));
      accepted.push(socket);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    accepted,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The most bytes the kernel may hold for a connection nobody reads: both ends' largest buffers. */
function kernelBufferBytesMax(): number {
  const largest = (file: string): number => Number(readFileSync(file, 'utf8').trim().split(/\s+/)[2]);
  return largest('/proc/sys/net/ipv4/tcp_wmem') + largest('/proc/sys/net/ipv4/tcp_rmem');
}

/** Appends big enough that a stalled peer's socket buffers fill after a few thousand. */
const STALLED_ENTRY_BYTES = 4096;

test('a peer that stops reading costs a bounded queue, never blocks sends or other peers', async () => {
  const a = await startMember(1n);
  const c = await startMember(3n);
  const stalled = await stalledPeer();
  try {
    a.transport.setPeer(2n, [stalled.url]);
    await connectAndWait([a, c]);
    await waitUntil('the stalled peer to accept the stream', () => stalled.accepted.length === 1);
    const total = Math.ceil((5 * PEER_QUEUE_MESSAGES_MAX) / 100) * 100;
    let slowestSendMs = 0;
    for (let seq = 0; seq < total; seq += 100) {
      const batch = [];
      for (let i = seq; i < seq + 100; i++) batch.push(append(1n, 2n, i, STALLED_ENTRY_BYTES), numbered(1n, 3n, i));
      const startMs = performance.now();
      a.transport.send(batch);
      slowestSendMs = Math.max(slowestSendMs, performance.now() - startMs);
      await nextTurn();
    }
    await waitUntil('the healthy peer to get everything', () => c.received.length === total);
    assert.deepEqual(c.received.map((m) => m.index), Array.from({ length: total }, (_, i) => i));
    const stats = a.transport.stats();
    // What the stalled peer can hold: the queue, plus what the kernel's socket buffers took
    // before they filled.
    const frameBytes = packFrames([encodeMessage(append(1n, 2n, 0, STALLED_ENTRY_BYTES))]).length;
    const retainedMax = PEER_QUEUE_MESSAGES_MAX + Math.ceil(kernelBufferBytesMax() / frameBytes);
    assert.ok(retainedMax < total, 'the test sends more than the queue and the kernel can hold');
    assert.ok(total - stats.dropped <= retainedMax, `dropped only ${stats.dropped} of ${total}`);
    assert.ok(a.unreachable.includes(2n), 'the stalled peer is reported unreachable');
    assert.ok(!a.unreachable.includes(3n), 'the healthy peer is not');
    assert.equal(a.transport.peerStats().get(2n)?.sentFailures, stats.dropped);
    assert.equal(a.transport.peerStats().get(3n)?.sentFailures, 0);
    assert.ok(a.logger.lines.some((l) => l.msg.startsWith('dropping messages to remote peer: sending buffer is full')));
    assert.ok(slowestSendMs < 250, `send() took up to ${slowestSendMs.toFixed(1)} ms`);
    assert.equal(a.transport.sentAll(), false, 'messages for the stalled peer still wait in its queue');
  } finally {
    await closeAll([a, c]);
    await stalled.close();
  }
});

/** Uploads `body` as a snapshot to `target` as member 7 would; resolves with the answer's status. */
async function rawSnapshot(target: Member, body: Buffer, declaredBytes = body.length): Promise<number> {
  const session = connectHttp2(target.transport.boundUrls[0] ?? '');
  session.on('error', () => undefined);
  try {
    const request = session.request({
      ':method': 'POST', ':path': SNAPSHOT_PATH, 'content-length': String(declaredBytes),
      [HEADER_CLUSTER_ID]: CLUSTER_ID.toString(16), [HEADER_FROM]: '7', [HEADER_TO]: target.id.toString(16),
      [HEADER_PROTOCOL]: PROTOCOL_VERSION,
    });
    request.on('error', () => undefined);
    request.resume();
    const status = new Promise<number>((resolve) => {
      request.once('response', (h) => resolve(Number(h[':status'])));
      request.once('close', () => resolve(0));
    });
    // A body shorter than declared stays open, as an upload still in progress.
    if (declaredBytes === body.length) request.end(body);
    else request.write(body);
    return await status;
  } finally {
    await new Promise<void>((resolve) => {
      session.once('close', resolve);
      session.destroy();
    });
  }
}

test('a snapshot upload declared beyond the size limit is refused before its body is read', async () => {
  const b = await startMember(2n);
  try {
    assert.equal(await rawSnapshot(b, Buffer.alloc(16), SNAPSHOT_BYTES_MAX + 1), STATUS_TOO_LARGE);
    assert.deepEqual(b.received, []);
  } finally {
    await b.transport.close();
  }
});

test('a snapshot upload that is not a snapshot message is refused and nothing is delivered', async () => {
  const b = await startMember(2n);
  try {
    assert.equal(await rawSnapshot(b, Buffer.from([0xff, 0xff, 0xff])), STATUS_BAD_REQUEST);
    assert.equal(await rawSnapshot(b, Buffer.from(encodeMessage(numbered(7n, b.id, 1)))), STATUS_BAD_REQUEST);
    assert.ok(b.logger.lines.some((l) => l.msg === 'refused a malformed snapshot from peer'));
    assert.deepEqual(b.received, []);
  } finally {
    await b.transport.close();
  }
});
