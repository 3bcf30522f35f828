// Request compression on the client port, as etcd 3.4 answers it: its gRPC-Go server has
// no decompressor installed, so a call that names any grpc-encoding but identity is refused
// at once with UNIMPLEMENTED (before its body is read, so a gzip bomb costs nothing), a
// compressed flag without an encoding is INTERNAL, and no answer carries grpc-encoding or
// grpc-accept-encoding. A grpc-js client set to compress therefore fails on every call.
// Each expectation was measured on /usr/bin/etcd: run with ETCD_TS_TARGET=etcd to check it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deflateSync, gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { KVService, PutRequest, RangeRequest, RangeResponse, type DeepPartial, type PutResponse } from '../../src/generated/etcdserverpb/rpc.js';
import { grpcFailure, unary } from '../support/grpc-raw.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { encodePlainBlock, FRAME_BYTES_DEFAULT, grpcRequestFields, grpcResult, headerValue, RawH2Connection, unaryCall, type GrpcResult } from '../http2/raw-h2-client.js';
import { enc, portOf } from './support/h2server-fixture.js';

const TEST_TIMEOUT_MS = 30_000;
const CALL_TIMEOUT_MS = 5_000;
/** A refused call is answered from its headers: well before a bomb's body could be inflated. */
const REFUSAL_MS_MAX = 2_000;
/** grpc-js's grpc.default_compression_algorithm values. */
const Algorithm = { identity: 0, deflate: 1, gzip: 2 } as const;
type AlgorithmName = keyof typeof Algorithm;
const BOMB_BYTES = 64 * 1024 * 1024;
const COMPRESSED_FLAG = 1;

let server: ServerProcess;

before(async () => {
  server = await startServer({ name: 'h2compress' });
});
after(async () => {
  await server?.stop();
});

const notInstalled = (encoding: string): { status: number; message: string } => ({
  status: grpc.status.UNIMPLEMENTED, message: `grpc: Decompressor is not installed for grpc-encoding "${encoding}"`,
});
const FLAG_WITHOUT_ENCODING = { status: grpc.status.INTERNAL, message: 'grpc: compressed flag set with identity or empty encoding' };
const rangeMessage = (key: string): Buffer => Buffer.from(RangeRequest.encode(RangeRequest.fromPartial({ key: enc(key) })).finish());

/** A unary call on `connection` whose one message has this flag and these bytes, under this grpc-encoding (null: none). */
async function rawCall(connection: RawH2Connection, path: string, body: Buffer, encoding: string | null, flag: number): Promise<GrpcResult & { ms: number }> {
  const id = connection.nextStreamId();
  const extra: Array<[string, string]> = encoding === null ? [] : [['grpc-encoding', encoding]];
  const startedMs = performance.now();
  connection.sendHeaders(id, encodePlainBlock(grpcRequestFields(path, server.endpoint, extra)));
  const prefix = Buffer.alloc(5);
  prefix[0] = flag;
  prefix.writeUInt32BE(body.length, 1);
  // The server may answer and reset the stream before the body is all out: then the rest stays unsent.
  const sending = connection.sendDataWithinWindows(id, Buffer.concat([prefix, body]), FRAME_BYTES_DEFAULT, CALL_TIMEOUT_MS).catch(() => undefined);
  const record = await connection.waitStreamEnd(id, CALL_TIMEOUT_MS);
  const ms = performance.now() - startedMs;
  await sending;
  return { ...grpcResult(record), ms };
}

async function withConnection<T>(body: (connection: RawH2Connection) => Promise<T>): Promise<T> {
  const connection = await RawH2Connection.open(portOf(server));
  try {
    return await body(connection);
  } finally {
    await connection.close();
  }
}

const statusOf = (result: GrpcResult): { status: number | null; message: string } => ({ status: result.status, message: result.message });

test('an uncompressed call is served, and the answer names no grpc-encoding and no grpc-accept-encoding', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withConnection(async (connection) => {
    for (const encoding of [null, 'identity']) {
      const result = await rawCall(connection, KVService.range.path, rangeMessage('k'), encoding, 0);
      assert.equal(result.status, grpc.status.OK, `${encoding}: ${result.message}`);
      assert.equal(result.messages.length, 1);
      assert.equal(RangeResponse.decode(result.messages[0] ?? Buffer.alloc(0)).kvs.length, 0);
      assert.equal(headerValue(result.headers, 'grpc-accept-encoding'), undefined, 'grpc-accept-encoding');
      assert.equal(headerValue(result.headers, 'grpc-encoding'), undefined, 'grpc-encoding');
    }
  });
});

test('a call naming gzip, deflate or an unknown encoding is UNIMPLEMENTED, compressed or not, and the connection goes on', { timeout: TEST_TIMEOUT_MS }, async () => {
  const message = rangeMessage('k');
  const cases: Array<[string, Buffer, string, number]> = [
    ['gzip', gzipSync(message), 'gzip', COMPRESSED_FLAG],
    ['deflate', deflateSync(message), 'deflate', COMPRESSED_FLAG],
    ['br', gzipSync(message), 'br', COMPRESSED_FLAG],
    ['gzip named, message plain', message, 'gzip', 0],
    ['gzip named, bytes not gzip', Buffer.from('definitely not a gzip stream'), 'gzip', COMPRESSED_FLAG],
  ];
  await withConnection(async (connection) => {
    for (const [what, body, encoding, flag] of cases) {
      const result = await rawCall(connection, KVService.range.path, body, encoding, flag);
      assert.deepEqual(statusOf(result), notInstalled(encoding), what);
      assert.equal(result.headers, result.trailers, `${what}: a trailers-only answer`);
      assert.equal(result.messages.length, 0, what);
    }
    // The same holds for a streaming method, and the connection still serves.
    const watch = await rawCall(connection, '/etcdserverpb.Watch/Watch', Buffer.alloc(0), 'gzip', 0);
    assert.deepEqual(statusOf(watch), notInstalled('gzip'));
    const plain = await unaryCall(connection, KVService.range.path, message, CALL_TIMEOUT_MS);
    assert.equal(plain.status, grpc.status.OK, plain.message);
  });
});

test('a compressed flag with no grpc-encoding, or with identity, is INTERNAL', { timeout: TEST_TIMEOUT_MS }, async () => {
  await withConnection(async (connection) => {
    for (const encoding of [null, 'identity']) {
      const result = await rawCall(connection, KVService.range.path, gzipSync(rangeMessage('k')), encoding, COMPRESSED_FLAG);
      assert.deepEqual(statusOf(result), FLAG_WITHOUT_ENCODING, String(encoding));
    }
    assert.equal((await unaryCall(connection, KVService.range.path, rangeMessage('k'), CALL_TIMEOUT_MS)).status, grpc.status.OK);
  });
});

test('a gzip bomb is refused from its headers: UNIMPLEMENTED at once, never inflated', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const bomb = gzipSync(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.alloc(BOMB_BYTES) })).finish());
  await withConnection(async (connection) => {
    const result = await rawCall(connection, KVService.range.path, bomb, 'gzip', COMPRESSED_FLAG);
    t.diagnostic(`a ${bomb.length} B gzip bomb of ${BOMB_BYTES} B: ${result.status} ${result.message} after ${result.ms.toFixed(0)} ms`);
    assert.deepEqual(statusOf(result), notInstalled('gzip'));
    assert.ok(result.ms < REFUSAL_MS_MAX, `answered after ${result.ms.toFixed(0)} ms`);
    assert.equal((await unaryCall(connection, KVService.range.path, rangeMessage('k'), CALL_TIMEOUT_MS)).status, grpc.status.OK);
  });
});

function compressingClient(algorithm: AlgorithmName): grpc.Client {
  return new grpc.Client(server.endpoint, grpc.credentials.createInsecure(), { 'grpc.default_compression_algorithm': Algorithm[algorithm] });
}

test('grpc-js clients set to gzip or deflate fail on every call; an identity client is served', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const put = (client: grpc.Client, request: DeepPartial<PutRequest>): Promise<PutResponse> => unary(client, KVService.put, PutRequest.fromPartial(request), CALL_TIMEOUT_MS);
  for (const name of ['gzip', 'deflate'] as const) {
    const client = compressingClient(name);
    t.after(() => client.close());
    // With no grpc-accept-encoding in the answers, grpc-js never falls back to identity.
    for (let call = 0; call < 2; call += 1) {
      assert.deepEqual(await grpcFailure(put(client, { key: enc(`c/${name}`), value: enc('v') })), { code: grpc.status.UNIMPLEMENTED, details: notInstalled(name).message });
    }
  }
  const plain = compressingClient('identity');
  t.after(() => plain.close());
  await put(plain, { key: enc('c/identity'), value: enc('v') });
  const read = await unary(plain, KVService.range, RangeRequest.fromPartial({ key: enc('c/'), rangeEnd: enc('c0') }), CALL_TIMEOUT_MS);
  assert.deepEqual(read.kvs.map((kv) => kv.key.toString()), ['c/identity']);
});
