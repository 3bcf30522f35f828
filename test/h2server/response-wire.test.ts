// The header fields of a response as etcd 3.4's gRPC-Go writes them, checked on both
// servers: the content type follows the request's (`application/grpc` or
// `application/grpc+proto`), an OK status carries an empty grpc-message, and a
// message keeps its spaces while '%' and bytes outside printable ASCII are
// percent-encoded; a method name's bytes that are not UTF-8 read as Go reads them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RangeRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { goUtf8Text } from '../../src/api/h2server/go-utf8.js';
import { grpcMessageText } from '../../src/api/h2server/grpc-wire.js';
import { encodePlainBlock, grpcFrame, grpcRequestFields, RawH2Connection } from '../http2/raw-h2-client.js';
import type { ServerProcess } from '../support/server-process.js';
import { serversSideBySide } from '../support/side-by-side.js';

const TEST_TIMEOUT_MS = 60_000;
const CALL_TIMEOUT_MS = 5_000;

let ours: ServerProcess;
let etcd: ServerProcess;

serversSideBySide('wire', (started, reference) => {
  ours = started;
  etcd = reference;
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
      {
        // Bytes that are not UTF-8 (the path is sent as latin1, one byte per char): each
        // becomes its own U+FFFD, valid sequences stay, as Go decodes a string.
        path: '/etcdserverpb.KV/R\xffa\xe2\x82n\xc3\xa9ge', key: 'k',
        expected: [[
          ':status: 200', `content-type: ${contentType}`, 'grpc-status: 12',
          'grpc-message: unknown method R%EF%BF%BDa%EF%BF%BD%EF%BF%BDn%C3%A9ge for service etcdserverpb.KV',
        ]],
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

test('header bytes read as Go reads a string: one U+FFFD per byte that starts no valid sequence', () => {
  assert.equal(goUtf8Text('plain/ascii'), 'plain/ascii');
  assert.equal(goUtf8Text('\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80'), '\u00e9\u20ac\u{1f600}');
  assert.equal(goUtf8Text('a\xe2\x82b'), 'a\ufffd\ufffdb', 'a truncated sequence is one replacement per byte');
  assert.equal(goUtf8Text('\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xff'), '\ufffd'.repeat(10), 'overlong, surrogate, above U+10FFFF, 0xff');
});
