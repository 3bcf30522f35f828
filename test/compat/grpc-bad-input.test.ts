// Bad requests over raw gRPC against a server with default limits: each gets etcd's
// exact status code and message, and the server keeps serving afterwards.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { PutRequest, type DeepPartial, type RequestOp } from '../../src/generated/etcdserverpb/rpc.js';
import { grpcFailure, unaryBytes } from '../support/grpc-raw.js';
import { RawKv, bytes } from '../support/raw-kv.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
let kv: RawKv;
before(async () => {
  server = await startServer({ name: 'badinput' });
  kv = new RawKv(server.endpoint);
});
after(async () => {
  kv?.close();
  await server?.stop();
});
// Every error below must leave the server able to take a write and a read.
afterEach(async () => {
  await kv.stillServes();
});

const NO_KEY = { code: status.INVALID_ARGUMENT, details: 'etcdserver: key is not provided' };
const DUPLICATE = { code: status.INVALID_ARGUMENT, details: 'etcdserver: duplicate key given in txn request' };
const COMPACTED = { code: status.OUT_OF_RANGE, details: 'etcdserver: mvcc: required revision has been compacted' };
const FUTURE = { code: status.OUT_OF_RANGE, details: 'etcdserver: mvcc: required revision is a future revision' };
const TOO_MANY_OPS = { code: status.INVALID_ARGUMENT, details: 'etcdserver: too many operations in txn request' };
const TOO_LARGE = { code: status.INVALID_ARGUMENT, details: 'etcdserver: request is too large' };
// etcd sizes its gRPC receive limit as --max-request-bytes plus 512 KiB of headroom.
const DEFAULT_GRPC_RECV_MAX_BYTES = 1.5 * 1024 * 1024 + 512 * 1024;

const putOp = (key: string, value = 'v'): DeepPartial<RequestOp> => ({
  request: { $case: 'requestPut', value: { key: bytes(key), value: bytes(value) } },
});
const delOp = (key: string, rangeEnd = ''): DeepPartial<RequestOp> => ({
  request: { $case: 'requestDeleteRange', value: { key: bytes(key), rangeEnd: bytes(rangeEnd) } },
});

describe('empty keys', () => {
  test('range, put and delete with an empty key are rejected', async () => {
    assert.deepEqual(await grpcFailure(kv.range({})), NO_KEY);
    assert.deepEqual(await grpcFailure(kv.put({ value: bytes('x') })), NO_KEY);
    assert.deepEqual(await grpcFailure(kv.deleteRange({})), NO_KEY);
  });

  test('a txn with an empty key in any op or compare is rejected', async () => {
    const emptyPut: DeepPartial<RequestOp> = { request: { $case: 'requestPut', value: { value: bytes('x') } } };
    const emptyRange: DeepPartial<RequestOp> = { request: { $case: 'requestRange', value: {} } };
    const emptyDel: DeepPartial<RequestOp> = { request: { $case: 'requestDeleteRange', value: {} } };
    assert.deepEqual(await grpcFailure(kv.txn({ success: [emptyPut] })), NO_KEY);
    assert.deepEqual(await grpcFailure(kv.txn({ success: [emptyRange] })), NO_KEY);
    assert.deepEqual(await grpcFailure(kv.txn({ failure: [emptyDel] })), NO_KEY);
    assert.deepEqual(
      await grpcFailure(kv.txn({ compare: [{ target: 3, targetUnion: { $case: 'value', value: bytes('x') } }] })),
      NO_KEY,
    );
    // The rejected txn wrote nothing.
    assert.equal((await kv.range({ key: bytes('x') })).count, 0n);
  });
});

describe('txn rules', () => {
  test('two puts of one key, or a put inside a deleted range, are duplicate keys', async () => {
    assert.deepEqual(await grpcFailure(kv.txn({ success: [putOp('dup'), putOp('dup', 'again')] })), DUPLICATE);
    assert.deepEqual(await grpcFailure(kv.txn({ failure: [putOp('dup/a'), delOp('dup/', 'dup0')] })), DUPLICATE);
    assert.equal((await kv.range({ key: bytes('dup') })).count, 0n);
  });

  test('two deletes of one key, or a put and a read of it, are allowed', async () => {
    await kv.put({ key: bytes('twice'), value: bytes('1') });
    const dels = await kv.txn({ success: [delOp('twice'), delOp('twice')] });
    assert.equal(dels.succeeded, true);
    const deleted = dels.responses.map((r) => (r.response?.$case === 'responseDeleteRange' ? r.response.value.deleted : -1n));
    assert.deepEqual(deleted, [1n, 0n]);
    const readOwnWrite = await kv.txn({
      success: [putOp('rw', 'new'), { request: { $case: 'requestRange', value: { key: bytes('rw') } } }],
    });
    const read = readOwnWrite.responses[1]?.response;
    assert.equal(read?.$case === 'responseRange' ? read.value.kvs[0]?.value.toString() : undefined, 'new');
  });

  test('more than 128 operations in one branch is too many; 128 is fine', async () => {
    const ops = (count: number): DeepPartial<RequestOp>[] => Array.from({ length: count }, (_, i) => putOp(`ops/${i}`));
    assert.deepEqual(await grpcFailure(kv.txn({ success: ops(129) })), TOO_MANY_OPS);
    assert.equal((await kv.range({ key: bytes('ops/0') })).count, 0n);
    const ok = await kv.txn({ success: ops(128), failure: ops(128) });
    assert.equal(ok.responses.length, 128);
  });
});

describe('revisions', () => {
  let compactedAt = 0n;
  before(async () => {
    await kv.put({ key: bytes('rev/k'), value: bytes('1') });
    compactedAt = (await kv.put({ key: bytes('rev/k'), value: bytes('2') })).header?.revision ?? 0n;
    await kv.compact({ revision: compactedAt, physical: true });
  });

  test('a range below the compacted revision is OUT_OF_RANGE compacted', async () => {
    assert.deepEqual(await grpcFailure(kv.range({ key: bytes('rev/k'), revision: compactedAt - 1n })), COMPACTED);
    assert.equal((await kv.range({ key: bytes('rev/k'), revision: compactedAt })).kvs[0]?.value.toString(), '2');
  });

  test('a range beyond the current revision is OUT_OF_RANGE future', async () => {
    const current = (await kv.range({ key: bytes('rev/k') })).header?.revision ?? 0n;
    assert.deepEqual(await grpcFailure(kv.range({ key: bytes('rev/k'), revision: current + 1n })), FUTURE);
  });

  test('compacting at, below, zero or a negative revision is compacted; beyond now is future', async () => {
    for (const revision of [compactedAt, compactedAt - 1n, 0n, -5n]) {
      assert.deepEqual(await grpcFailure(kv.compact({ revision })), COMPACTED, `revision ${revision}`);
    }
    assert.deepEqual(await grpcFailure(kv.compact({ revision: compactedAt + 100_000n })), FUTURE);
  });

  test('a negative revision reads the latest revision and a negative limit means no limit', async () => {
    await kv.put({ key: bytes('neg/a'), value: bytes('a') });
    await kv.put({ key: bytes('neg/b'), value: bytes('b') });
    const latest = await kv.range({ key: bytes('neg/'), rangeEnd: bytes('neg0'), revision: -1n });
    assert.deepEqual(latest.kvs.map((k) => k.key.toString()), ['neg/a', 'neg/b']);
    const unlimited = await kv.range({ key: bytes('neg/'), rangeEnd: bytes('neg0'), limit: -1n });
    assert.equal(unlimited.kvs.length, 2);
    assert.equal(unlimited.more, false);
  });
});

describe('leases, bytes and the wire', () => {
  test('a put with a lease that does not exist is NOT_FOUND', async () => {
    assert.deepEqual(await grpcFailure(kv.put({ key: bytes('leased'), value: bytes('v'), lease: 12345n })), {
      code: status.NOT_FOUND,
      details: 'etcdserver: requested lease not found',
    });
    assert.equal((await kv.range({ key: bytes('leased') })).count, 0n);
  });

  test('keys and values are bytes: invalid UTF-8 and NUL round trip exactly', async () => {
    const key = Buffer.from([0xff, 0x00, 0xfe, 0x80]);
    const value = Buffer.from([0xc3, 0x28, 0x00, 0xa0]);
    await kv.put({ key, value });
    const response = await kv.range({ key });
    assert.deepEqual(response.kvs[0]?.key, key);
    assert.deepEqual(response.kvs[0]?.value, value);
    const prefixed = await kv.range({ key: Buffer.from([0xff]), rangeEnd: Buffer.from([0xff, 0x01]) });
    assert.deepEqual(prefixed.kvs.map((k) => k.key), [key]);
  });

  test('malformed protobuf bytes are INTERNAL unmarshalling errors', async () => {
    const failure = await grpcFailure(unaryBytes(kv.channel, '/etcdserverpb.KV/Put', Buffer.from([0x0a, 0x10, 0x61])));
    assert.equal(failure.code, status.INTERNAL);
    // The tail is the protobuf library's own wording, which differs between releases.
    assert.match(failure.details, /^grpc: error unmarshalling request: /);
  });

  test('unknown fields in a request are ignored', async () => {
    const known = Buffer.from(PutRequest.encode(PutRequest.fromPartial({ key: bytes('unk'), value: bytes('v') })).finish());
    const unknownField99 = Buffer.from([0x98, 0x06, 0x07]);
    await unaryBytes(kv.channel, '/etcdserverpb.KV/Put', Buffer.concat([known, unknownField99]));
    assert.equal((await kv.range({ key: bytes('unk') })).kvs[0]?.value.toString(), 'v');
  });

  test('an unknown method is UNIMPLEMENTED', async () => {
    assert.deepEqual(await grpcFailure(unaryBytes(kv.channel, '/etcdserverpb.KV/Nope', Buffer.alloc(0))), {
      code: status.UNIMPLEMENTED,
      details: 'unknown method Nope for service etcdserverpb.KV',
    });
  });
});

describe('default request size limit (1.5 MiB)', () => {
  test('a put a little over 1.5 MiB is too large for etcd', async () => {
    assert.deepEqual(await grpcFailure(kv.put({ key: bytes('big'), value: Buffer.alloc(1_600_000) })), TOO_LARGE);
  });

  test('a put of 1 MiB is accepted', async () => {
    await kv.put({ key: bytes('big'), value: Buffer.alloc(1024 * 1024, 7) });
    assert.equal((await kv.range({ key: bytes('big') })).kvs[0]?.value.length, 1024 * 1024);
  });

  test('a put over the gRPC receive limit is RESOURCE_EXHAUSTED from the transport', async () => {
    const request = { key: bytes('big'), value: Buffer.alloc(3_000_000) };
    const size = PutRequest.encode(PutRequest.fromPartial(request)).finish().length;
    assert.deepEqual(await grpcFailure(kv.put(request)), {
      code: status.RESOURCE_EXHAUSTED,
      details: `grpc: received message larger than max (${size} vs. ${DEFAULT_GRPC_RECV_MAX_BYTES})`,
    });
  });
});
