// Odd request headers on the client port, checked on both servers: each case's answer
// (response headers, RST_STREAM or GOAWAY, and whether the connection still serves)
// was first measured on the real etcd 3.4 and is expected, the same, from etcd-ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HeaderField } from '../../src/api/http2/hpack-decoder.js';
import { RangeRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { encodePlainBlock, field, grpcFrame, RawH2Connection, type StreamRecord } from '../http2/raw-h2-client.js';
import type { ServerProcess } from '../support/server-process.js';
import { serversSideBySide } from '../support/side-by-side.js';

const TEST_TIMEOUT_MS = 120_000;
const CALL_TIMEOUT_MS = 3_000;
const RANGE_PATH = '/etcdserverpb.KV/Range';
/** A plain Range's answer, as described below. */
const ANSWERED = '[:status=200 content-type=application/grpc] [grpc-status=0 grpc-message=] data';
/** The answer fields the table compares. */
const SHOWN_FIELDS = [':status', 'content-type', 'grpc-status', 'grpc-message'];

let ours: ServerProcess;
let etcd: ServerProcess;

serversSideBySide('headers', (started, reference) => {
  ours = started;
  etcd = reference;
});

function rangeBody(): Buffer {
  return grpcFrame(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from('k') })).finish());
}

/** A request's fields: the usual ones with some replaced (value null: left out) and some added at the end. */
function requestFields(authority: string, replace: Readonly<Record<string, string | null>>, extra: ReadonlyArray<readonly [string, string]> = []): HeaderField[] {
  const base: Array<[string, string]> = [
    [':method', 'POST'], [':scheme', 'http'], [':path', RANGE_PATH], [':authority', authority],
    ['content-type', 'application/grpc'], ['te', 'trailers'],
  ];
  const fields: HeaderField[] = [];
  for (const [name, value] of base) {
    const replaced = name in replace ? replace[name] : value;
    if (replaced !== null && replaced !== undefined) fields.push(field(name, replaced));
  }
  return [...fields, ...extra.map(([name, value]) => field(name, value))];
}

function describeBlock(block: readonly HeaderField[]): string {
  return block.filter((entry) => SHOWN_FIELDS.includes(entry.name)).map((entry) => `${entry.name}=${entry.value}`).join(' ');
}

function describeStream(connection: RawH2Connection, record: StreamRecord): string {
  const parts = record.headerBlocks.map((block) => `[${describeBlock(block)}]`);
  if (record.dataBytes > 0) parts.push('data');
  // A reset after a whole answer (the client had not half-closed yet) is a matter of timing: not compared.
  if (record.rstCode !== null && !record.endStream) parts.push(`rst ${record.rstCode}`);
  if (connection.goaway !== null) parts.push(`goaway ${connection.goaway.errorCode}`);
  if (!record.endStream && record.rstCode === null && connection.goaway === null) parts.push(connection.closed ? 'closed' : 'open');
  return parts.join(' ');
}

type Sender = (connection: RawH2Connection, id: number, authority: string) => void;

/** What one request gets, then whether a plain Range on the same connection still works. */
async function outcome(server: ServerProcess, send: Sender): Promise<string> {
  const connection = await RawH2Connection.open(Number(server.endpoint.split(':')[1]));
  try {
    const id = connection.nextStreamId();
    send(connection, id, server.endpoint);
    const record = connection.stream(id);
    await connection.waitUntil(`stream ${id}`, () => record.endStream || record.rstCode !== null || connection.goaway !== null || connection.closed, CALL_TIMEOUT_MS).catch(() => undefined);
    const first = describeStream(connection, record);
    if (connection.closed || connection.goaway !== null) return `${first}; then closed`;
    const next = connection.nextStreamId();
    connection.sendHeaders(next, encodePlainBlock(requestFields(server.endpoint, {})));
    connection.sendData(next, rangeBody(), { endStream: true });
    const after = connection.stream(next);
    await connection.waitUntil(`stream ${next}`, () => after.endStream || after.rstCode !== null || connection.closed, CALL_TIMEOUT_MS).catch(() => undefined);
    const answer = describeStream(connection, after);
    return `${first}; then ${answer === ANSWERED ? 'serves' : answer}`;
  } finally {
    await connection.close();
  }
}

function headersThenBody(replace: Readonly<Record<string, string | null>>, extra: ReadonlyArray<readonly [string, string]> = []): Sender {
  return (connection, id, authority) => {
    connection.sendHeaders(id, encodePlainBlock(requestFields(authority, replace, extra)));
    connection.sendData(id, rangeBody(), { endStream: true });
  };
}

/** A request whose header list opens with one more field. */
function leading(first: readonly [string, string]): Sender {
  return (connection, id, authority) => {
    connection.sendHeaders(id, encodePlainBlock([field(first[0], first[1]), ...requestFields(authority, {})]));
    connection.sendData(id, rangeBody(), { endStream: true });
  };
}

/** A Watch's headers, then a second header block on its stream. */
function watchThenTrailers(trailers: HeaderField[], endStream: boolean): Sender {
  return (connection, id, authority) => {
    watchHeaders({})(connection, id, authority);
    connection.sendHeaders(id, encodePlainBlock(trailers), { endStream });
  };
}

/** A Watch's headers alone: the stream stays open for requests. */
function watchHeaders(replace: Readonly<Record<string, string | null>>, extra: ReadonlyArray<readonly [string, string]> = []): Sender {
  return (connection, id, authority) => {
    connection.sendHeaders(id, encodePlainBlock(requestFields(authority, { ':path': '/etcdserverpb.Watch/Watch', ...replace }, extra)));
  };
}

function withBody(body: Buffer, extra: ReadonlyArray<readonly [string, string]> = []): Sender {
  return (connection, id, authority) => {
    connection.sendHeaders(id, encodePlainBlock(requestFields(authority, {}, extra)));
    connection.sendData(id, body, { endStream: true });
  };
}

function flagged(flag: number): Buffer {
  const body = rangeBody();
  body[0] = flag;
  return body;
}

/** Header bytes as HPACK carries them (one char per byte) for a UTF-8 text. */
function utf8Bytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

// The outcomes, measured on etcd 3.4.23 (gRPC-Go 1.33, x/net 0.7) with these raw frames.
const RESET = 'rst 1; then serves';
const served = (contentType = 'application/grpc'): string => `[:status=200 content-type=${contentType}] [grpc-status=0 grpc-message=] data; then serves`;
const refused = (code: number, message: string): string => `[:status=200 content-type=application/grpc grpc-status=${code} grpc-message=${message}]; then serves`;

/** etcd closes the connection without a GOAWAY; etcd-ts sends GOAWAY PROTOCOL_ERROR first, as for every connection error. */
const CONNECTION_ENDS = { etcd: 'closed; then closed', ours: 'goaway 1; then closed' } as const;

type Case = readonly [name: string, send: Sender, expected: string | { readonly etcd: string; readonly ours: string }];

const CONTENT_TYPE_CASES: readonly Case[] = [
  ['missing', headersThenBody({ 'content-type': null }), RESET],
  ['application/grpc+proto', headersThenBody({ 'content-type': 'application/grpc+proto' }), served('application/grpc+proto')],
  // No JSON codec is installed: the body is read as proto, and the answer names the codec asked for.
  ['application/grpc+json', headersThenBody({ 'content-type': 'application/grpc+json' }), served('application/grpc+json')],
  ['application/grpc;charset=utf-8', headersThenBody({ 'content-type': 'application/grpc;charset=utf-8' }), served('application/grpc+charset=utf-8')],
  ['application/grpc+', headersThenBody({ 'content-type': 'application/grpc+' }), served()],
  ['application/grpc+PROTO', headersThenBody({ 'content-type': 'application/grpc+PROTO' }), served('application/grpc+PROTO')],
  ['application/grpcx', headersThenBody({ 'content-type': 'application/grpcx' }), RESET],
  ['APPLICATION/GRPC', headersThenBody({ 'content-type': 'APPLICATION/GRPC' }), RESET],
  ['text/plain', headersThenBody({ 'content-type': 'text/plain' }), RESET],
  ['application/json', headersThenBody({ 'content-type': 'application/json' }), RESET],
  ['application/json on a gateway path', headersThenBody({ ':path': '/v3/kv/range', 'content-type': 'application/json' }), RESET],
  ['twice, text/plain last', headersThenBody({}, [['content-type', 'text/plain']]), served()],
  ['twice, text/plain first', headersThenBody({ 'content-type': 'text/plain' }, [['content-type', 'application/grpc+x']]), served('application/grpc+x')],
];

const METHOD_AND_TE_CASES: readonly Case[] = [
  [':method GET', headersThenBody({ ':method': 'GET' }), served()],
  [':method PUT', headersThenBody({ ':method': 'PUT' }), served()],
  ['te missing', headersThenBody({ te: null }), served()],
  ['te gzip', headersThenBody({ te: 'gzip' }), served()],
  [':method missing', headersThenBody({ ':method': null }), served()],
  [':scheme missing', headersThenBody({ ':scheme': null }), served()],
  [':authority missing', headersThenBody({ ':authority': null }), served()],
];

const PATH_CASES: readonly Case[] = [
  ['no leading slash', headersThenBody({ ':path': 'etcdserverpb.KV/Range' }), served()],
  ['one segment', headersThenBody({ ':path': '/etcdserverpb.KV' }), refused(8, 'malformed method name: "/etcdserverpb.KV"')],
  ['//Range', headersThenBody({ ':path': '//Range' }), refused(12, 'unknown service ')],
  ['/a/b/c', headersThenBody({ ':path': '/a/b/c' }), refused(12, 'unknown service a/b')],
  ['a query string', headersThenBody({ ':path': '/etcdserverpb.KV/Range?x=1' }), refused(12, 'unknown method Range?x=1 for service etcdserverpb.KV')],
  ['empty', headersThenBody({ ':path': '' }), refused(8, 'malformed method name: ""')],
  ['missing', headersThenBody({ ':path': null }), refused(8, 'malformed method name: ""')],
  ['an unknown service asked for in JSON', headersThenBody({ ':path': '/x.Y/Z', 'content-type': 'application/grpc+json' }),
    '[:status=200 content-type=application/grpc+json grpc-status=12 grpc-message=unknown service x.Y]; then serves'],
  ['quoted, bytes not UTF-8', headersThenBody({ ':path': '/x"y\\z\t\u00e9\u00a0' }), refused(8, 'malformed method name: "/x\\"y\\\\z\\t\\xe9\\xa0"')],
  ['quoted, UTF-8', headersThenBody({ ':path': utf8Bytes('/\u00e9\u00a0') }), refused(8, 'malformed method name: "/%C3%A9\\u00a0"')],
];

const FIELD_CASES: readonly Case[] = [
  ['a -bin value not base64', headersThenBody({}, [['x-trace-bin', '!!!not base64!!!']]), served()],
  ['a value with NUL', headersThenBody({}, [['x-odd', 'a\u0000b']]), RESET],
  ['a value with CR', headersThenBody({}, [['x-odd', 'a\rb']]), RESET],
  ['a value with LF', headersThenBody({}, [['x-odd', 'a\nb']]), RESET],
  ['a value with DEL', headersThenBody({}, [['x-odd', 'a\u007fb']]), RESET],
  ['a value with TAB', headersThenBody({}, [['x-odd', 'a\tb']]), served()],
  ['a value with a byte above 0x7f', headersThenBody({}, [['x-odd', 'a\u00ffb']]), served()],
  ['an upper-case name', headersThenBody({}, [['X-Odd', 'v']]), RESET],
  ['a name with a space', headersThenBody({}, [['x odd', 'v']]), RESET],
  ['an empty name', headersThenBody({}, [['', 'v']]), RESET],
  ['a pseudo-header after a regular one', headersThenBody({ ':authority': null }, [[':authority', 'x']]), RESET],
  ['an unknown pseudo-header', leading([':foo', 'x']), RESET],
  ['a repeated pseudo-header', leading([':path', RANGE_PATH]), RESET],
  [':status in a request', leading([':status', '200']), RESET],
  ['only :status', (connection, id) => {
    connection.sendHeaders(id, encodePlainBlock([field(':status', '200'), field('content-type', 'application/grpc')]));
    connection.sendData(id, rangeBody(), { endStream: true });
  }, refused(8, 'malformed method name: ""')],
  ['connection: keep-alive', headersThenBody({}, [['connection', 'keep-alive']]), served()],
  ['transfer-encoding: chunked', headersThenBody({}, [['transfer-encoding', 'chunked']]), served()],
];

const GRPC_HEADER_CASES: readonly Case[] = [
  ['grpc-status not a number', headersThenBody({}, [['grpc-status', 'x']]), RESET],
  ['grpc-status out of int64', headersThenBody({}, [['grpc-status', '99999999999999999999']]), RESET],
  ['grpc-status +7', headersThenBody({}, [['grpc-status', '+7']]), served()],
  ['grpc-message not percent-encoded', headersThenBody({}, [['grpc-message', '%zz']]), served()],
  ['grpc-trace-bin not base64', headersThenBody({}, [['grpc-trace-bin', '!!']]), RESET],
  ['grpc-trace-bin unpadded base64', headersThenBody({}, [['grpc-trace-bin', 'AAE']]), served()],
  ['grpc-tags-bin of 5 characters', headersThenBody({}, [['grpc-tags-bin', 'AAAAA']]), RESET],
  ['grpc-tags-bin padded inside', headersThenBody({}, [['grpc-tags-bin', 'AA=A']]), RESET],
  ['grpc-status-details-bin not base64', headersThenBody({}, [['grpc-status-details-bin', '$$$$']]), RESET],
  ['grpc-status-details-bin: field number 0', headersThenBody({}, [['grpc-status-details-bin', 'AAAA']]), RESET],
  ['grpc-status-details-bin: code 5', headersThenBody({}, [['grpc-status-details-bin', 'CAU=']]), served()],
  ['grpc-status-details-bin: a message not UTF-8', headersThenBody({}, [['grpc-status-details-bin', 'EgH/']]), RESET],
  ['grpc-status-details-bin: a varint cut short', headersThenBody({}, [['grpc-status-details-bin', 'CA']]), RESET],
  ['grpc-status-details-bin: an empty detail', headersThenBody({}, [['grpc-status-details-bin', 'GgA=']]), served()],
  ['grpc-status-details-bin: a detail cut short', headersThenBody({}, [['grpc-status-details-bin', 'GgIK/w==']]), RESET],
  ['grpc-status-details-bin: a detail type URL not UTF-8', headersThenBody({}, [['grpc-status-details-bin', 'GgMKAf8=']]), RESET],
  ['grpc-status-details-bin: a detail value of any bytes', headersThenBody({}, [['grpc-status-details-bin', 'GgMSAf8=']]), served()],
  ['grpc-status-details-bin: an unknown field', headersThenBody({}, [['grpc-status-details-bin', 'IAA=']]), served()],
  ['grpc-status-details-bin: the message as a varint (skipped as unknown)', headersThenBody({}, [['grpc-status-details-bin', 'EAA=']]), served()],
  ['grpc-status-details-bin: an empty unknown group', headersThenBody({}, [['grpc-status-details-bin', 'Kyw=']]), served()],
  ['grpc-status-details-bin: a group closed by another number', headersThenBody({}, [['grpc-status-details-bin', 'KzQ=']]), served()],
  ['grpc-status-details-bin: a lone end-group', headersThenBody({}, [['grpc-status-details-bin', 'LA==']]), RESET],
  ['grpc-status-details-bin: a UTF-8 message', headersThenBody({}, [['grpc-status-details-bin', 'EgLDqQ==']]), served()],
  ['grpc-status-details-bin: a 10-byte varint ending in 1', headersThenBody({}, [['grpc-status-details-bin', 'CP///////////wE=']]), served()],
  ['grpc-status-details-bin: a 10-byte varint ending in 2', headersThenBody({}, [['grpc-status-details-bin', 'CP///////////wI=']]), RESET],
  ['grpc-status-details-bin: field number 0 in two bytes', headersThenBody({}, [['grpc-status-details-bin', 'gAAA']]), RESET],
  ['grpc-status-details-bin: field number 0 inside a detail', headersThenBody({}, [['grpc-status-details-bin', 'GgIAAA==']]), RESET],
  ['grpc-status-details-bin: field number 0 inside a group', headersThenBody({}, [['grpc-status-details-bin', 'KwAALA==']]), served()],
  ['grpc-status-details-bin: wire type 6', headersThenBody({}, [['grpc-status-details-bin', 'Lg==']]), RESET],
  ['grpc-status-details-bin: wire type 6 inside a group', headersThenBody({}, [['grpc-status-details-bin', 'Ky4s']]), RESET],
  ['grpc-status-details-bin: a second message not UTF-8', headersThenBody({}, [['grpc-status-details-bin', 'EgASAf8=']]), RESET],
  ['grpc-status-details-bin: a field number above 2^29', headersThenBody({}, [['grpc-status-details-bin', '+P//////////AQA=']]), served()],
  ['grpc-timeout twice, the first unreadable', headersThenBody({}, [['grpc-timeout', 'x'], ['grpc-timeout', '5S']]), RESET],
];

const STREAMING_CASES: readonly Case[] = [
  ['a Watch with a control byte in a value', watchHeaders({}, [['x-odd', 'a\u0001']]), RESET],
  ['a Watch with content-type text/plain', watchHeaders({ 'content-type': 'text/plain' }), RESET],
  // gRPC-Go reads a client's trailers as a new request's headers on a used stream id.
  ['a Watch whose trailers hold an upper-case name', watchThenTrailers([field('X-Odd', 'v')], true), RESET],
  ['a Watch whose trailers are not a gRPC request', watchThenTrailers([field('x-odd', 'v')], true), RESET],
  ['a Watch whose trailers carry no END_STREAM', watchThenTrailers([], false), RESET],
  ['a Watch whose trailers name gRPC', watchThenTrailers([field('content-type', 'application/grpc')], true), CONNECTION_ENDS],
  // Before its message, so the handler cannot have answered yet (after it, the two race on etcd).
  ['a Range whose trailers come before its message', (connection, id, authority) => {
    connection.sendHeaders(id, encodePlainBlock(requestFields(authority, {})));
    connection.sendHeaders(id, encodePlainBlock([field('x-odd', 'v')]), { endStream: true });
  }, RESET],
  ['a request on a lower stream id', (connection, id, authority) => {
    const skipped = connection.nextStreamId();
    headersThenBody({})(connection, skipped, authority);
    headersThenBody({})(connection, id, authority);
  }, CONNECTION_ENDS],
];

const MESSAGE_FLAG_CASES: readonly Case[] = [
  ['compressed flag 1, grpc-encoding identity', withBody(flagged(1), [['grpc-encoding', 'identity']]), refused(13, 'grpc: compressed flag set with identity or empty encoding')],
  ['compressed flag 1, no grpc-encoding', withBody(flagged(1)), refused(13, 'grpc: compressed flag set with identity or empty encoding')],
  ['compressed flag 2', withBody(flagged(2)), refused(13, 'grpc: received unexpected payload format 2')],
];

async function checkBoth(group: string, cases: readonly Case[]): Promise<void> {
  for (const [name, send, expected] of cases) {
    for (const server of [etcd, ours]) {
      const wanted = typeof expected === 'string' ? expected : server === etcd ? expected.etcd : expected.ours;
      assert.equal(await outcome(server, send), wanted, `${server === etcd ? 'etcd' : 'etcd-ts'}: ${group} ${name}`);
    }
  }
}

test('content-type: gRPC\'s form is served and answered in its codec\'s name, anything else resets the stream', { timeout: TEST_TIMEOUT_MS }, async () => {
  await checkBoth('content-type', CONTENT_TYPE_CASES);
});

test(':method and te are not looked at', { timeout: TEST_TIMEOUT_MS }, async () => {
  await checkBoth('', METHOD_AND_TE_CASES);
});

test(':path is read as gRPC-Go reads it: the service before the last slash, a leading slash optional', { timeout: TEST_TIMEOUT_MS }, async () => {
  await checkBoth(':path', PATH_CASES);
});

test('a header list HTTP/2 calls malformed resets its stream with PROTOCOL_ERROR; the connection serves on', { timeout: TEST_TIMEOUT_MS }, async () => {
  await checkBoth('', FIELD_CASES);
});

test('gRPC headers gRPC-Go cannot decode reset the stream; others are not looked at', { timeout: TEST_TIMEOUT_MS }, async () => {
  await checkBoth('', GRPC_HEADER_CASES);
});

test('a streaming call is refused for its headers as a unary one is, and a second header block is read as a new request\'s',  { timeout: TEST_TIMEOUT_MS }, async () => {
  await checkBoth('', STREAMING_CASES);
});

test('a message prefix flag other than 0: INTERNAL in gRPC-Go\'s words', { timeout: TEST_TIMEOUT_MS }, async () => {
  await checkBoth('', MESSAGE_FLAG_CASES);
});
