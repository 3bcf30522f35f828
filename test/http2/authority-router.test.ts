// Which way a new HTTP/2 connection is handed to the server: the native socket (the fast
// path) with every byte read so far put back but the ACK of our SETTINGS, unless its first
// request names a URL as :authority, which gets the rewriting stream; a client that stays
// idle after the ACK goes native too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, Socket, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { FIRST_REQUEST_WAIT_MS, routeHttp2Connection } from '../../src/api/http2/authority-router.js';
import { FrameReader, FrameType, frameHeader } from '../../src/api/http2/frame-reader.js';
import { HpackDecoder } from '../../src/api/http2/hpack-decoder.js';
import { encodeHeaderBlock } from '../../src/api/http2/hpack-encoder.js';
import { RewritingConnection } from '../../src/api/http2/rewriting-connection.js';

const TEST_TIMEOUT_MS = 10_000;
const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const CLIENT_SETTINGS = Buffer.concat([frameHeader(6, FrameType.settings, 0, 0), Buffer.from('000400100000', 'hex')]);
const SETTINGS_ACK = frameHeader(0, FrameType.settings, 1, 0);

function request(authority: string): Buffer {
  const block = encodeHeaderBlock([[':method', 'POST'], [':scheme', 'http'], [':path', '/etcdserverpb.KV/Range'], [':authority', authority]]
    .map(([name, value]) => ({ name: name ?? '', value: value ?? '', neverIndexed: false })));
  return Buffer.concat([frameHeader(block.length, FrameType.headers, 0x4, 1), block]);
}

interface Routed {
  readonly connection: Duplex;
  /** What the server reads first from it. */
  readonly bytes: Buffer;
  readonly client: Socket;
  readonly server: Server;
}

/** A client that sends preface and SETTINGS, answers our SETTINGS with an ACK, then sends `then`. */
async function route(then: Buffer): Promise<Routed> {
  let injected: (connection: Duplex) => void = () => undefined;
  const handed = new Promise<Duplex>((resolve) => (injected = resolve));
  const server = createServer((socket) => socket.once('data', (first: Buffer) => routeHttp2Connection(socket, first, injected)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  const client = connect(typeof address === 'object' && address !== null ? address.port : 0, '127.0.0.1');
  client.on('error', () => undefined);
  client.write(Buffer.concat([PREFACE, CLIENT_SETTINGS]));
  const fromServer = await new Promise<Buffer>((resolve) => client.once('data', resolve));
  assert.deepEqual(fromServer, frameHeader(0, FrameType.settings, 0, 0), 'an empty SETTINGS comes first');
  client.write(Buffer.concat([SETTINGS_ACK, then]));
  const connection = await handed;
  const bytes = connection instanceof RewritingConnection
    ? await new Promise<Buffer>((resolve) => connection.once('data', resolve))
    : (connection as Socket).read() as Buffer;
  return { connection, bytes, client, server };
}

async function close(routed: Routed): Promise<void> {
  routed.client.destroy();
  routed.connection.destroy();
  await new Promise<void>((resolve) => routed.server.close(() => resolve()));
}

test('host:port authority: the native socket, with preface, SETTINGS and the request put back, the ACK taken out', { timeout: TEST_TIMEOUT_MS }, async () => {
  const routed = await route(request('127.0.0.1:2379'));
  try {
    assert.ok(routed.connection instanceof Socket && !(routed.connection instanceof RewritingConnection));
    assert.deepEqual(routed.bytes, Buffer.concat([PREFACE, CLIENT_SETTINGS, request('127.0.0.1:2379')]));
  } finally {
    await close(routed);
  }
});

test('URL authority: the rewriting stream, whose request says host:port', { timeout: TEST_TIMEOUT_MS }, async () => {
  const routed = await route(request('http://127.0.0.1:2379'));
  try {
    assert.ok(routed.connection instanceof RewritingConnection);
    assert.deepEqual(routed.bytes.subarray(0, PREFACE.length + CLIENT_SETTINGS.length), Buffer.concat([PREFACE, CLIENT_SETTINGS]));
    const frames = new FrameReader().push(routed.bytes.subarray(PREFACE.length));
    assert.deepEqual(frames.map((frame) => frame.type), [FrameType.settings, FrameType.headers], 'no ACK reaches the server');
    const fields = new HpackDecoder().decode(frames[1]?.payload ?? Buffer.alloc(0));
    assert.equal(fields.find((field) => field.name === ':authority')?.value, '127.0.0.1:2379');
  } finally {
    await close(routed);
  }
});

test('a client idle after the ACK is handed on natively after the wait', { timeout: TEST_TIMEOUT_MS }, async () => {
  const startedMs = Date.now();
  const routed = await route(Buffer.alloc(0));
  try {
    assert.ok(!(routed.connection instanceof RewritingConnection));
    assert.ok(Date.now() - startedMs >= FIRST_REQUEST_WAIT_MS - 50);
    assert.deepEqual(routed.bytes, Buffer.concat([PREFACE, CLIENT_SETTINGS]));
  } finally {
    await close(routed);
  }
});
