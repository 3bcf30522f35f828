// KV and lease unary calls answer the same whether or not the request names the
// identity encoding: the very same bytes, sent once plainly and once with
// `grpc-encoding: identity`, must get the same headers, trailers and body, for answers
// and for every kind of failure. (Any other encoding is refused, as etcd refuses it:
// see test/h2server/compression.test.ts.)
import assert from 'node:assert/strict';
import { connect, type ClientHttp2Session, type IncomingHttpHeaders } from 'node:http2';
import { after, before, describe, test } from 'node:test';
import { LeaseGrantRequest, LeaseRevokeRequest, LeaseTimeToLiveRequest, PutRequest, RangeRequest, RangeResponse, TxnRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

const CALL_TIMEOUT_MS = 10_000;
const enc = (text: string): Buffer => Buffer.from(text);

interface Exchange {
  readonly headers: IncomingHttpHeaders;
  readonly trailers: IncomingHttpHeaders | null;
  readonly body: Buffer;
}

function frame(message: Uint8Array): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(message.length, 1);
  return Buffer.concat([header, message]);
}

/** One raw gRPC exchange; `date` is dropped since it differs from call to call. */
function exchange(session: ClientHttp2Session, path: string, body: Buffer, extra: Record<string, string> = {}): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...extra });
    const timer = setTimeout(() => stream.close(), CALL_TIMEOUT_MS);
    let headers: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders | null = null;
    const chunks: Buffer[] = [];
    stream.on('response', (h) => (headers = { ...h }));
    stream.on('trailers', (t) => (trailers = { ...t }));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('error', reject);
    stream.on('close', () => {
      clearTimeout(timer);
      delete headers.date;
      resolve({ headers, trailers, body: Buffer.concat(chunks) });
    });
    stream.end(body);
  });
}

let server: ServerProcess;
let session: ClientHttp2Session;
before(async () => {
  server = await startServer({ name: 'fastpath' });
  session = connect(server.clientUrl);
  await exchange(session, '/etcdserverpb.KV/Put', frame(PutRequest.encode(PutRequest.fromPartial({ key: enc('k'), value: enc('v') })).finish()));
});
after(async () => {
  session?.close();
  await server?.stop();
});

/** The same bytes sent plainly and under a named identity encoding. */
async function bothPaths(path: string, body: Buffer, extra: Record<string, string> = {}): Promise<[Exchange, Exchange]> {
  const fast = await exchange(session, path, body, extra);
  const grpcJs = await exchange(session, path, body, { ...extra, 'grpc-encoding': 'identity' });
  return [fast, grpcJs];
}

const range = (request: Partial<RangeRequest>): Buffer => frame(RangeRequest.encode(RangeRequest.fromPartial(request)).finish());

describe('KV and lease unary answers are the same whether or not the request names an encoding', () => {
  test('a successful range: headers, body and OK trailers', async () => {
    const [fast, grpcJs] = await bothPaths('/etcdserverpb.KV/Range', range({ key: enc('k') }));
    assert.equal(fast.headers[':status'], 200);
    assert.equal(fast.trailers?.['grpc-status'], '0');
    assert.deepEqual(fast, grpcJs);
    // One gRPC frame holding a RangeResponse for the one key put before.
    assert.equal(RangeResponse.decode(fast.body.subarray(5)).count, 1n);
  });

  test('a large range, written in parts after its frame header, twice in a row: the same bytes as grpc-js', async () => {
    // 120 keys of 2 KiB: a 240 KiB reply, over the copy limit and across several record chunks.
    const value = 'z'.repeat(2048);
    for (let i = 0; i < 120; i++) {
      const put = await exchange(session, '/etcdserverpb.KV/Put', frame(PutRequest.encode(PutRequest.fromPartial({ key: enc(`big/${String(i).padStart(3, '0')}`), value: enc(`${i}${value}`) })).finish()));
      assert.equal(put.trailers?.['grpc-status'], '0');
    }
    const request = range({ key: enc('big/'), rangeEnd: enc('big0') });
    for (let round = 0; round < 2; round++) {
      // The second round packs into the chunks the first reply handed back once sent.
      const [fast, grpcJs] = await bothPaths('/etcdserverpb.KV/Range', request);
      assert.equal(fast.trailers?.['grpc-status'], '0');
      assert.deepEqual(fast, grpcJs);
      assert.equal(fast.body.readUInt32BE(1), fast.body.length - 5, 'one frame holds the whole reply');
      const kvs = RangeResponse.decode(fast.body.subarray(5)).kvs;
      assert.equal(kvs.length, 120);
      assert.equal(kvs[119]?.value.toString(), `119${value}`);
    }
  });

  test('etcd errors: trailers-only answers with the status and message', async () => {
    for (const body of [range({}), range({ key: enc('k'), revision: 1_000_000n })]) {
      const [fast, grpcJs] = await bothPaths('/etcdserverpb.KV/Range', body);
      assert.equal(fast.trailers, null);
      assert.notEqual(fast.headers['grpc-status'], '0');
      assert.deepEqual(fast, grpcJs);
    }
  });

  test('a write error through txn, and a deadline header', async () => {
    const txn = TxnRequest.fromPartial({ success: [{ request: { $case: 'requestPut', value: { key: enc('') } } }] });
    const [fast, grpcJs] = await bothPaths('/etcdserverpb.KV/Txn', frame(TxnRequest.encode(txn).finish()), { 'grpc-timeout': '5S' });
    assert.equal(decodeURIComponent(String(fast.headers['grpc-message'])), 'etcdserver: key is not provided');
    assert.deepEqual(fast, grpcJs);
  });

  test('bodies that are not one well-formed message', async () => {
    const twoMessages = Buffer.concat([range({ key: enc('k') }), range({ key: enc('k') })]);
    const oversized = Buffer.from([0, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3]);
    const garbage = frame(Buffer.from([0x0a, 0xff, 0xff]));
    for (const body of [Buffer.alloc(0), twoMessages, oversized, garbage, range({ key: enc('k') }).subarray(0, 3)]) {
      const [fast, grpcJs] = await bothPaths('/etcdserverpb.KV/Range', body);
      assert.notEqual(fast.headers['grpc-status'], undefined);
      assert.notEqual(fast.headers['grpc-status'], '0');
      assert.deepEqual(fast, grpcJs, `body ${body.toString('hex')}`);
    }
  });

  test('lease calls: an answer for an unknown lease, and etcd errors', async () => {
    const ttl = frame(LeaseTimeToLiveRequest.encode(LeaseTimeToLiveRequest.fromPartial({ ID: 12345n })).finish());
    const [fastTtl, grpcJsTtl] = await bothPaths('/etcdserverpb.Lease/LeaseTimeToLive', ttl);
    assert.equal(fastTtl.trailers?.['grpc-status'], '0');
    assert.deepEqual(fastTtl, grpcJsTtl);
    const revoke = frame(LeaseRevokeRequest.encode(LeaseRevokeRequest.fromPartial({ ID: 12345n })).finish());
    const tooLong = frame(LeaseGrantRequest.encode(LeaseGrantRequest.fromPartial({ TTL: 10_000_000_000n })).finish());
    for (const [path, body] of [['/etcdserverpb.Lease/LeaseRevoke', revoke], ['/etcdserverpb.Lease/LeaseGrant', tooLong]] as const) {
      const [fast, grpcJs] = await bothPaths(path, body);
      assert.notEqual(fast.headers['grpc-status'], '0');
      assert.deepEqual(fast, grpcJs);
    }
  });

  test('the server still serves a put afterwards', async () => {
    const put = frame(PutRequest.encode(PutRequest.fromPartial({ key: enc('after'), value: enc('v') })).finish());
    const answer = await exchange(session, '/etcdserverpb.KV/Put', put);
    assert.equal(answer.trailers?.['grpc-status'], '0');
  });
});
