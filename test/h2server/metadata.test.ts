// Metadata through the client port's HTTP/2 server: a token in metadata decides
// who a request runs as on a real server with auth on; binary (-bin) and text
// metadata reach handlers intact and what handlers send back as header and trailer
// metadata (on success, on error, and at the end of a stream) reaches grpc-js; a
// header block above the advertised SETTINGS_MAX_HEADER_LIST_SIZE is refused and
// the server goes on serving.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { ERROR_TABLE } from '../../src/errors/error-table.js';
import {
  AuthEnableRequest, AuthRoleAddRequest, AuthService, AuthUserAddRequest, AuthUserGrantRoleRequest, AuthenticateRequest,
  KVService, PutRequest, RangeRequest,
} from '../../src/generated/etcdserverpb/rpc.js';
import { grpcFailure, rawClient, unary } from '../support/grpc-raw.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { encodePlainBlock, field, grpcFrame, grpcRequestFields, grpcResult, H2Error, H2Setting, headerValue, RawH2Connection } from '../http2/raw-h2-client.js';
import { ECHO_PATHS, startEchoServer, type EchoServer } from './support/echo-grpc-server.js';
import { enc, portOf } from './support/h2server-fixture.js';

const TEST_TIMEOUT_MS = 20_000;
const CALL_TIMEOUT_MS = 5_000;
/** The streaming echo ends at once when it works; this bounds the wait when it does not. */
const STREAM_DEADLINE_MS = 1_000;
const ROOT_PASSWORD = 'root-pw';
/** Bytes that are not UTF-8: a binary value must come through byte for byte. */
const BINARY = Buffer.from([0x00, 0xff, 0x01, 0x80, 0x0a, 0xc3]);
/** The header list limit (h2-connection's HEADER_LIST_BYTES_MAX, gRPC-Go's default), not advertised. */
const HEADER_LIST_BYTES_MAX = 16 * 1024 * 1024;
const HEADER_SPLIT_BYTES = 16 * 1024;

let server: ServerProcess;
let echo: EchoServer;

before(async () => {
  server = await startServer({ name: 'h2metadata', args: ['--bcrypt-cost', '4'] });
  echo = await startEchoServer();
});
after(async () => {
  await echo?.close();
  await server?.stop();
});

const withMetadata = (pairs: ReadonlyArray<readonly [string, string | Buffer]>): grpc.Metadata => {
  const metadata = new grpc.Metadata();
  for (const [key, value] of pairs) metadata.add(key, value);
  return metadata;
};

test('a token in metadata decides who the request runs as; binary metadata next to it does no harm', { timeout: TEST_TIMEOUT_MS }, async () => {
  const client = rawClient(server.endpoint);
  try {
    await unary(client, AuthService.userAdd, AuthUserAddRequest.fromPartial({ name: 'root', password: ROOT_PASSWORD }));
    await unary(client, AuthService.roleAdd, AuthRoleAddRequest.fromPartial({ name: 'root' }));
    await unary(client, AuthService.userGrantRole, AuthUserGrantRoleRequest.fromPartial({ user: 'root', role: 'root' }));
    await unary(client, AuthService.authEnable, AuthEnableRequest.fromPartial({}));
    const { token } = await unary(client, AuthService.authenticate, AuthenticateRequest.fromPartial({ name: 'root', password: ROOT_PASSWORD }));
    const put = PutRequest.fromPartial({ key: enc('meta/k'), value: enc('v') });

    const none = await grpcFailure(unary(client, KVService.put, put, CALL_TIMEOUT_MS));
    assert.deepEqual(none, { code: ERROR_TABLE.UserEmpty.code, details: ERROR_TABLE.UserEmpty.message });
    const forged = await grpcFailure(unary(client, KVService.put, put, CALL_TIMEOUT_MS, withMetadata([['token', `${token}x`]])));
    assert.deepEqual(forged, { code: ERROR_TABLE.InvalidAuthToken.code, details: ERROR_TABLE.InvalidAuthToken.message });
    const metadata = withMetadata([['token', token], ['x-bin', BINARY], ['x-text', 'plain']]);
    await unary(client, KVService.put, put, CALL_TIMEOUT_MS, metadata);
    const read = await unary(client, KVService.range, RangeRequest.fromPartial({ key: enc('meta/k') }), CALL_TIMEOUT_MS, metadata);
    assert.equal(read.kvs[0]?.value.toString(), 'v');

    // The same token as a raw header, its block split over HEADERS and CONTINUATIONs.
    const connection = await RawH2Connection.open(portOf(server));
    try {
      const id = connection.nextStreamId();
      const fields = grpcRequestFields(KVService.range.path, server.endpoint, [['token', token], ['x-bin', BINARY.toString('base64')]]);
      connection.sendHeaders(id, encodePlainBlock(fields), { splitBytes: 7 });
      connection.sendData(id, grpcFrame(RangeRequest.encode(RangeRequest.fromPartial({ key: enc('meta/k') })).finish()), { endStream: true });
      const result = grpcResult(await connection.waitStreamEnd(id, CALL_TIMEOUT_MS));
      assert.equal(result.status, 0, result.message);
    } finally {
      await connection.close();
    }
  } finally {
    client.close();
  }
});

interface Answer {
  headers: grpc.Metadata | null;
  status: grpc.StatusObject;
  messages: Buffer[];
}

/** Calls an echo method with x-bin and x-text metadata; collects headers, messages and the status. */
function echoCall(path: string, streaming: boolean, deadlineMs = CALL_TIMEOUT_MS): Promise<Answer> {
  const client = new grpc.Client(`127.0.0.1:${echo.port}`, grpc.credentials.createInsecure());
  const identity = (bytes: Buffer): Buffer => bytes;
  const metadata = withMetadata([['x-bin', BINARY], ['x-bin', Buffer.from('second')], ['x-text', 'hello']]);
  const options = { deadline: Date.now() + deadlineMs };
  const answer: Answer = { headers: null, status: { code: grpc.status.UNKNOWN, details: 'no status', metadata: new grpc.Metadata() }, messages: [] };
  return new Promise<Answer>((resolve) => {
    const call = streaming
      ? client.makeServerStreamRequest(path, identity, identity, enc('ping'), metadata, options)
      : client.makeUnaryRequest(path, identity, identity, enc('ping'), metadata, options, (_error, value) => {
        if (value !== undefined) answer.messages.push(value);
      });
    call.on('metadata', (headers: grpc.Metadata) => (answer.headers = headers));
    if (streaming) {
      call.on('data', (message: Buffer) => answer.messages.push(message));
      call.on('error', () => undefined);
    }
    call.on('status', (status: grpc.StatusObject) => {
      answer.status = status;
      // The unary callback runs after 'status': let it.
      setImmediate(() => resolve(answer));
    });
  }).finally(() => client.close());
}

test('binary and text metadata reach unary handlers, and their header and trailer metadata (also on an error) reach grpc-js', { timeout: TEST_TIMEOUT_MS }, async () => {
  const unaryAnswer = await echoCall(ECHO_PATHS.unary, false);
  assert.equal(unaryAnswer.status.code, grpc.status.OK, unaryAnswer.status.details);
  assert.deepEqual(unaryAnswer.messages, [enc('ping')]);
  assert.deepEqual(unaryAnswer.headers?.get('header-bin'), [BINARY, Buffer.from('second')]);
  assert.deepEqual(unaryAnswer.headers?.get('header-text'), ['hello']);
  assert.deepEqual(unaryAnswer.status.metadata.get('trailer-bin'), [BINARY, Buffer.from('second')]);
  assert.deepEqual(unaryAnswer.status.metadata.get('trailer-text'), ['hello']);

  const failed = await echoCall(ECHO_PATHS.fail, false);
  assert.equal(failed.status.code, grpc.status.FAILED_PRECONDITION);
  assert.equal(failed.status.details, 'echo failed');
  assert.deepEqual(failed.status.metadata.get('trailer-bin'), [BINARY, Buffer.from('second')]);
});

// grpc-js's ServerWritableStream.end(metadata) sends that metadata as trailers (a plain
// Duplex would write it as one more message and never end the call).
test('trailing metadata given to a streaming call\'s end() arrives as trailers', { timeout: TEST_TIMEOUT_MS }, async () => {
  const streamed = await echoCall(ECHO_PATHS.stream, true, STREAM_DEADLINE_MS);
  assert.equal(streamed.status.code, grpc.status.OK, streamed.status.details);
  assert.deepEqual(streamed.messages, [enc('ping'), enc('ping')]);
  assert.deepEqual(streamed.headers?.get('header-bin'), [BINARY, Buffer.from('second')]);
  assert.deepEqual(streamed.status.metadata.get('trailer-text'), ['hello'], 'trailing metadata given to end() arrives');
});

/** A Range whose header block carries one extra header of `bytes`, split over CONTINUATIONs. */
async function rangeWithHeader(connection: RawH2Connection, bytes: number): Promise<void> {
  const id = connection.nextStreamId();
  const fields = [...grpcRequestFields(KVService.range.path, server.endpoint), field('x-big', 'b'.repeat(bytes))];
  connection.sendHeaders(id, encodePlainBlock(fields), { splitBytes: HEADER_SPLIT_BYTES });
  connection.sendData(id, grpcFrame(RangeRequest.encode(RangeRequest.fromPartial({ key: enc('k') })).finish()), { endStream: true });
}

test('a header list above 16 MiB resets its stream and the server goes on; one below it is served', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const below = await RawH2Connection.open(portOf(server));
  try {
    await below.waitUntil('the server SETTINGS', () => below.serverSettingsFrames >= 1, CALL_TIMEOUT_MS);
    assert.equal(below.serverSettings.get(H2Setting.maxHeaderListSize), undefined, 'as etcd, the limit is not advertised');
    await rangeWithHeader(below, HEADER_LIST_BYTES_MAX / 2);
    const record = await below.waitStreamEnd(below.lastStreamId, CALL_TIMEOUT_MS);
    // Auth is on (the first test): the answer is etcd's, which proves the block was read.
    assert.equal(headerValue(record.headerBlocks.at(-1), 'grpc-status'), String(ERROR_TABLE.UserEmpty.code));
  } finally {
    await below.close();
  }

  const above = await RawH2Connection.open(portOf(server));
  try {
    // One value under the limit, the list over it (a longer single value ends the connection).
    await rangeWithHeader(above, HEADER_LIST_BYTES_MAX - 64);
    const record = above.stream(above.lastStreamId);
    await above.waitUntil('the oversized block answered', () => record.rstCode !== null || record.endStream || above.closed, CALL_TIMEOUT_MS);
    // As etcd: that stream alone is reset, with no gRPC status and no GOAWAY.
    assert.equal(record.rstCode, H2Error.frameSize);
    assert.deepEqual(record.headerBlocks, []);
    assert.equal(above.goaway, null);
  } finally {
    await above.close();
  }

  // grpc-js with metadata over the limit: its call fails, and the server still serves others.
  const client = rawClient(server.endpoint);
  try {
    const huge = await grpcFailure(unary(client, KVService.range, RangeRequest.fromPartial({ key: enc('k') }), CALL_TIMEOUT_MS, withMetadata([['x-big', 'b'.repeat(HEADER_LIST_BYTES_MAX + 1024)]])));
    t.diagnostic(`grpc-js with oversized metadata: ${JSON.stringify(huge)}`);
    assert.notEqual(huge.code, grpc.status.OK);
  } finally {
    client.close();
  }
  const fresh = rawClient(server.endpoint);
  try {
    const after = await grpcFailure(unary(fresh, KVService.range, RangeRequest.fromPartial({ key: enc('k') }), CALL_TIMEOUT_MS));
    assert.deepEqual(after, { code: ERROR_TABLE.UserEmpty.code, details: ERROR_TABLE.UserEmpty.message }, 'a new client is still answered');
  } finally {
    fresh.close();
  }
});
