// The header fields of a response as etcd 3.4's gRPC-Go writes them, checked on both
// servers: the content type follows the request's (`application/grpc` or
// `application/grpc+proto`), an OK status carries an empty grpc-message, and a
// message keeps its spaces while '%' and bytes outside printable ASCII are
// percent-encoded.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RangeRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { grpcMessageText } from '../../src/api/h2server/grpc-wire.js';
import { encodePlainBlock, grpcFrame, grpcRequestFields, RawH2Connection } from '../http2/raw-h2-client.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

const TEST_TIMEOUT_MS = 60_000;
const CALL_TIMEOUT_MS = 5_000;

let ours: ServerProcess;
let etcd: ServerProcess;

before(async () => {
  [ours, etcd] = await Promise.all([startServer({ name: 'wire-ours' }), startServer({ target: 'etcd', name: 'wire-etcd' })]);
});
after(async () => {
  await Promise.all([ours?.stop(), etcd?.stop()]);
});

/** Each header block of one call, as "name: value" lines. */
async function blocksOf(server: ServerProcess, path: string, contentType: string, key: string): Promise<string[][]> {
  const port = Number(server.endpoint.split(':')[1]);
  const connection = await RawH2Connection.open(port);
  try {
    const id = connection.nextStreamId();
    const fields = grpcRequestFields(path, server.endpoint).map((f) => (f.name === 'content-type' ? { ...f, value: contentType } : f));
    connection.sendHeaders(id, encodePlainBlock(fields));
    connection.sendData(id, grpcFrame(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from(key) })).finish()), { endStream: true });
    const record = await connection.waitStreamEnd(id, CALL_TIMEOUT_MS);
    return record.headerBlocks.map((block) => block.map((f) => `${f.name}: ${f.value}`));
  } finally {
    await connection.close();
  }
}

for (const contentType of ['application/grpc', 'application/grpc+proto']) {
  test(`request content type ${contentType}: the same response headers and trailers as etcd`, { timeout: TEST_TIMEOUT_MS }, async () => {
    const cases: Array<{ path: string; key: string; expected: string[][] }> = [
      { path: '/etcdserverpb.KV/Range', key: 'k', expected: [[':status: 200', `content-type: ${contentType}`], ['grpc-status: 0', 'grpc-message: ']] },
      {
        path: '/etcdserverpb.KV/Range', key: '',
        expected: [[':status: 200', `content-type: ${contentType}`, 'grpc-status: 3', 'grpc-message: etcdserver: key is not provided']],
      },
      {
        path: '/etcdserverpb.KV/Range%', key: 'k',
        expected: [[':status: 200', `content-type: ${contentType}`, 'grpc-status: 12', 'grpc-message: unknown method Range%25 for service etcdserverpb.KV']],
      },
    ];
    for (const { path, key, expected } of cases) {
      for (const server of [etcd, ours]) {
        const blocks = await blocksOf(server, path, contentType, key);
        // Only the fields these rules are about: servers may add others (etcd adds none here).
        assert.deepEqual(blocks, expected, `${server === etcd ? 'etcd' : 'etcd-ts'} on ${path} with key "${key}"`);
      }
    }
  });
}

test('grpc-message text: printable ASCII but % as is, the rest percent-encoded as UTF-8 bytes; OK is empty', () => {
  assert.equal(grpcMessageText({ code: 0, details: 'OK', metadata: null }), '');
  assert.equal(grpcMessageText({ code: 3, details: 'etcdserver: key is not provided', metadata: null }), 'etcdserver: key is not provided');
  assert.equal(grpcMessageText({ code: 3, details: '100% é\n', metadata: null }), '100%25 %C3%A9%0A');
});
