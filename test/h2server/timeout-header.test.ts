// grpc-timeout read as etcd's gRPC-Go reads it, checked on both servers: a value it
// cannot decode resets the stream with PROTOCOL_ERROR and no answer; a valid one,
// however written, serves the call (a negative one has already passed).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RangeRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { encodePlainBlock, grpcFrame, grpcRequestFields, headerValue, RawH2Connection } from '../http2/raw-h2-client.js';
import type { ServerProcess } from '../support/server-process.js';
import { serversSideBySide } from '../support/side-by-side.js';

const TEST_TIMEOUT_MS = 60_000;
const CALL_TIMEOUT_MS = 5_000;
const PROTOCOL_ERROR = 0x1;

let ours: ServerProcess;
let etcd: ServerProcess;

serversSideBySide('timeout', (started, reference) => {
  ours = started;
  etcd = reference;
});

/** What a Range with this grpc-timeout gets: "rst <code>" or "status <grpc-status>". */
async function outcome(server: ServerProcess, timeout: string): Promise<string> {
  const connection = await RawH2Connection.open(Number(server.endpoint.split(':')[1]));
  try {
    const id = connection.nextStreamId();
    connection.sendHeaders(id, encodePlainBlock(grpcRequestFields('/etcdserverpb.KV/Range', server.endpoint, [['grpc-timeout', timeout]])));
    connection.sendData(id, grpcFrame(RangeRequest.encode(RangeRequest.fromPartial({ key: Buffer.from('k') })).finish()), { endStream: true });
    const record = await connection.waitStreamEnd(id, CALL_TIMEOUT_MS);
    if (record.headerBlocks.length === 0) return `rst ${String(record.rstCode)}`;
    return `status ${String(headerValue(record.headerBlocks[record.headerBlocks.length - 1], 'grpc-status'))}`;
  } finally {
    await connection.close();
  }
}

test('grpc-timeout: undecodable values reset the stream, valid ones serve the call, on etcd and on etcd-ts', { timeout: TEST_TIMEOUT_MS }, async () => {
  const cases: Array<[string, string]> = [
    ['5S', 'status 0'],
    ['99999999m', 'status 0'],
    ['+5S', 'status 0'],
    ['garbage', `rst ${PROTOCOL_ERROR}`],
    ['S', `rst ${PROTOCOL_ERROR}`],
    ['123456789S', `rst ${PROTOCOL_ERROR}`],
    ['5x', `rst ${PROTOCOL_ERROR}`],
    [' 5S', `rst ${PROTOCOL_ERROR}`],
    ['5 S', `rst ${PROTOCOL_ERROR}`],
  ];
  for (const [timeout, expected] of cases) {
    for (const server of [etcd, ours]) {
      assert.equal(await outcome(server, timeout), expected, `${server === etcd ? 'etcd' : 'etcd-ts'} with grpc-timeout "${timeout}"`);
    }
  }
});
