// Request limits set by flags: a server started with a small --max-request-bytes and
// --max-txn-ops refuses what exceeds them with etcd's errors and keeps serving.
import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { PutRequest, type DeepPartial, type RequestOp } from '../../src/generated/etcdserverpb/rpc.js';
import { etcdctl } from '../support/etcdctl.js';
import { lastLine } from '../support/etcdctl-output.js';
import { grpcFailure } from '../support/grpc-raw.js';
import { RawKv, bytes } from '../support/raw-kv.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

const MAX_REQUEST_BYTES = 1024;
const MAX_TXN_OPS = 4;
// etcd sizes its gRPC receive limit as --max-request-bytes plus 512 KiB of headroom.
const GRPC_RECV_MAX_BYTES = MAX_REQUEST_BYTES + 512 * 1024;
const TOO_LARGE = { code: status.INVALID_ARGUMENT, details: 'etcdserver: request is too large' };
const TOO_MANY_OPS = { code: status.INVALID_ARGUMENT, details: 'etcdserver: too many operations in txn request' };

let server: ServerProcess;
let kv: RawKv;
before(async () => {
  server = await startServer({
    name: 'limits',
    args: [`--max-request-bytes=${MAX_REQUEST_BYTES}`, `--max-txn-ops=${MAX_TXN_OPS}`],
  });
  kv = new RawKv(server.endpoint);
});
after(async () => {
  kv?.close();
  await server?.stop();
});
afterEach(async () => {
  await kv.stillServes();
});

const putOp = (key: string): DeepPartial<RequestOp> => ({
  request: { $case: 'requestPut', value: { key: bytes(key), value: bytes('v') } },
});
const ops = (prefix: string, count: number): DeepPartial<RequestOp>[] =>
  Array.from({ length: count }, (_, i) => putOp(`${prefix}/${i}`));

test('a put under the request limit is accepted', async () => {
  await kv.put({ key: bytes('small'), value: Buffer.alloc(500, 1) });
  assert.equal((await kv.range({ key: bytes('small') })).kvs[0]?.value.length, 500);
});

test('a put over --max-request-bytes is too large, through gRPC and etcdctl', async () => {
  assert.deepEqual(await grpcFailure(kv.put({ key: bytes('large'), value: Buffer.alloc(2000, 1) })), TOO_LARGE);
  const result = await etcdctl(server.endpoint, ['put', 'large', 'x'.repeat(2000)]);
  assert.equal(result.code, 1);
  assert.equal(lastLine(result.stderr), 'Error: etcdserver: request is too large');
  assert.equal((await kv.range({ key: bytes('large') })).count, 0n);
});

test('a txn whose ops add up over the limit is too large', async () => {
  const bigOps: DeepPartial<RequestOp>[] = [0, 1, 2].map((i) => ({
    request: { $case: 'requestPut', value: { key: bytes(`tl/${i}`), value: Buffer.alloc(400, 1) } },
  }));
  assert.deepEqual(await grpcFailure(kv.txn({ success: bigOps })), TOO_LARGE);
});

test('a request over the gRPC receive limit is RESOURCE_EXHAUSTED from the transport', async () => {
  const request = { key: bytes('huge'), value: Buffer.alloc(600_000, 1) };
  const size = PutRequest.encode(PutRequest.fromPartial(request)).finish().length;
  assert.deepEqual(await grpcFailure(kv.put(request)), {
    code: status.RESOURCE_EXHAUSTED,
    details: `grpc: received message larger than max (${size} vs. ${GRPC_RECV_MAX_BYTES})`,
  });
});

test('--max-txn-ops bounds compares, success ops and failure ops each on their own', async () => {
  const ok = await kv.txn({ success: ops('txo/s', MAX_TXN_OPS), failure: ops('txo/f', MAX_TXN_OPS) });
  assert.equal(ok.succeeded, true);
  assert.equal(ok.responses.length, MAX_TXN_OPS);
  assert.deepEqual(await grpcFailure(kv.txn({ success: ops('txo/x', MAX_TXN_OPS + 1) })), TOO_MANY_OPS);
  assert.deepEqual(await grpcFailure(kv.txn({ failure: ops('txo/y', MAX_TXN_OPS + 1) })), TOO_MANY_OPS);
  const compares = Array.from({ length: MAX_TXN_OPS + 1 }, (_, i) => ({ key: bytes(`txo/c${i}`) }));
  assert.deepEqual(await grpcFailure(kv.txn({ compare: compares })), TOO_MANY_OPS);
  assert.equal((await kv.range({ key: bytes('txo/x/0') })).count, 0n);
});

test('etcdctl txn with too many ops shows the same error', async () => {
  const input = `\n${Array.from({ length: MAX_TXN_OPS + 1 }, (_, i) => `put txc/${i} v`).join('\n')}\n\n\n`;
  const result = await etcdctl(server.endpoint, ['txn'], { input });
  assert.equal(result.code, 1);
  assert.equal(lastLine(result.stderr), 'Error: etcdserver: too many operations in txn request');
});
