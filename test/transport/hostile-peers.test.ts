// Bytes that are not our protocol, frames that do not decode, and a peer that
// stops reading: each costs only its own connection, never the member.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  connect as connectHttp2, createServer, type ClientHttp2Session, type ClientHttp2Stream as ClientHttpStream,
  type ServerHttp2Session, type ServerHttp2Stream,
} from 'node:http2';
import { connect as connectNet } from 'node:net';
import { encodeMessage } from '../../src/raft/message-codec.js';
import { packFrames } from '../../src/transport/frame-codec.js';
import { PEER_QUEUE_MESSAGES_MAX, SNAPSHOT_BYTES_MAX } from '../../src/transport/transport-limits.js';
import {
  HEADER_CLUSTER_ID, HEADER_FROM, HEADER_PROTOCOL, HEADER_TO, MESSAGE_STREAM_PATH, PROTOCOL_VERSION, SNAPSHOT_PATH,
  STATUS_BAD_REQUEST, STATUS_TOO_LARGE,
} from '../../src/transport/wire-protocol.js';
import { CLUSTER_ID, closeAll, connectAndWait, nextTurn, numbered, startMember, waitUntil, type Member } from './transport-fixture.js';

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

/** Opens a message stream to `target` as member 7 would, and writes `body` on it. */
async function rawStream(target: Member, body: Buffer): Promise<{ session: ClientHttp2Session; stream: ClientHttpStream; closed: Promise<void> }> {
  const session = connectHttp2(target.transport.boundUrls[0] ?? '');
  session.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => session.once('close', resolve));
  const stream = session.request({
    ':method': 'POST', ':path': MESSAGE_STREAM_PATH, [HEADER_CLUSTER_ID]: CLUSTER_ID.toString(16),
    [HEADER_FROM]: '7', [HEADER_TO]: target.id.toString(16), [HEADER_PROTOCOL]: PROTOCOL_VERSION,
  });
  stream.on('error', () => undefined);
  stream.resume();
  await new Promise((resolve) => stream.once('response', resolve));
  stream.write(body);
  return { session, stream, closed };
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
    raw.stream.write(packFrames([Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]), encodeMessage(numbered(7n, b.id, 2))]));
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
    raw.session.destroy();
    await raw.closed;
  } finally {
    await closeAll(members);
  }
});

/** A peer that accepts the stream and then never reads a byte: a stalled process or full socket. */
async function stalledPeer(): Promise<{ url: string; streams: ServerHttp2Stream[]; close(): Promise<void> }> {
  const streams: ServerHttp2Stream[] = [];
  const sessions = new Set<ServerHttp2Session>();
  const server = createServer();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('error', () => undefined);
  });
  server.on('stream', (stream) => {
    stream.on('error', () => undefined);
    stream.respond({ ':status': 200 });
    stream.pause();
    streams.push(stream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    streams,
    close: async () => {
      for (const s of sessions) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

test('a peer that stops reading costs a bounded queue, never blocks sends or other peers', async () => {
  const a = await startMember(1n);
  const c = await startMember(3n);
  const stalled = await stalledPeer();
  try {
    a.transport.setPeer(2n, [stalled.url]);
    await connectAndWait([a, c]);
    await waitUntil('the stalled peer to accept the stream', () => stalled.streams.length === 1);
    const total = Math.ceil((5 * PEER_QUEUE_MESSAGES_MAX) / 100) * 100;
    let slowestSendMs = 0;
    for (let seq = 0; seq < total; seq += 100) {
      const batch = [];
      for (let i = seq; i < seq + 100; i++) batch.push(numbered(1n, 2n, i), numbered(1n, 3n, i));
      const startMs = performance.now();
      a.transport.send(batch);
      slowestSendMs = Math.max(slowestSendMs, performance.now() - startMs);
      await nextTurn();
    }
    await waitUntil('the healthy peer to get everything', () => c.received.length === total);
    assert.deepEqual(c.received.map((m) => m.index), Array.from({ length: total }, (_, i) => i));
    const stats = a.transport.stats();
    // What the stalled peer can hold: the queue, plus what HTTP/2 flow control (its default
    // 64 KiB window) let through before it stopped reading.
    const smallestFrameBytes = packFrames([encodeMessage(numbered(1n, 2n, 0))]).length;
    const retainedMax = PEER_QUEUE_MESSAGES_MAX + Math.ceil(65_535 / smallestFrameBytes);
    assert.ok(total - stats.dropped <= retainedMax, `dropped only ${stats.dropped} of ${total}`);
    assert.ok(a.unreachable.includes(2n), 'the stalled peer is reported unreachable');
    assert.ok(!a.unreachable.includes(3n), 'the healthy peer is not');
    assert.equal(a.transport.peerStats().get(2n)?.sentFailures, stats.dropped);
    assert.equal(a.transport.peerStats().get(3n)?.sentFailures, 0);
    assert.ok(a.logger.lines.some((l) => l.msg.startsWith('dropping messages to remote peer: sending buffer is full')));
    assert.ok(slowestSendMs < 250, `send() took up to ${slowestSendMs.toFixed(1)} ms`);
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
