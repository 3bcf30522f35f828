// Range and txn semantics that only raw requests reach: how limit, count and more
// interact with filters and sorting, prev_kv, range ends, range compares, nested txns.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  Compare_CompareResult as Result,
  Compare_CompareTarget as Target,
  RangeRequest_SortOrder as Order,
  RangeRequest_SortTarget as SortTarget,
  type DeepPartial,
  type RangeResponse,
  type RequestOp,
} from '../../src/generated/etcdserverpb/rpc.js';
import { RawKv, bytes } from '../support/raw-kv.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
let kv: RawKv;
// Revision of the first of the writes below; the others follow one by one.
let base = 0n;
before(async () => {
  server = await startServer({ name: 'semantics' });
  kv = new RawKv(server.endpoint);
  base = ((await kv.range({ key: bytes('x') })).header?.revision ?? 0n) + 1n;
  // r/a@base, r/b@+1, r/c@+2, r/d@+3, then r/a@+4 and r/b@+5 overwrite.
  for (const [key, value] of [['r/a', '3'], ['r/b', '1'], ['r/c', '2'], ['r/d', '0'], ['r/a', 'x'], ['r/b', 'y']]) {
    await kv.put({ key: bytes(key!), value: bytes(value!) });
  }
});
after(async () => {
  kv?.close();
  await server?.stop();
});

const R = { key: bytes('r/'), rangeEnd: bytes('r0') };
const keys = (response: RangeResponse): string[] => response.kvs.map((k) => k.key.toString());
const summary = (response: RangeResponse): [string[], boolean, bigint] => [keys(response), response.more, response.count];
const put = (key: string, value: string): DeepPartial<RequestOp> => ({
  request: { $case: 'requestPut', value: { key: bytes(key), value: bytes(value) } },
});

describe('limit, count and more', () => {
  test('a limit equal to the count has no more; a smaller one has', async () => {
    assert.deepEqual(summary(await kv.range({ ...R, limit: 4n })), [['r/a', 'r/b', 'r/c', 'r/d'], false, 4n]);
    assert.deepEqual(summary(await kv.range({ ...R, limit: 3n })), [['r/a', 'r/b', 'r/c'], true, 4n]);
  });

  test('count_only returns no kvs and never more, whatever the limit', async () => {
    assert.deepEqual(summary(await kv.range({ ...R, limit: 1n, countOnly: true })), [[], false, 4n]);
  });

  test('revision filters drop kvs but count still counts the whole range', async () => {
    assert.deepEqual(summary(await kv.range({ ...R, minModRevision: base + 3n })), [['r/a', 'r/b', 'r/d'], false, 4n]);
    assert.deepEqual(summary(await kv.range({ ...R, minModRevision: base + 3n, limit: 1n })), [['r/a'], true, 4n]);
    assert.deepEqual(summary(await kv.range({ ...R, maxCreateRevision: base + 1n, limit: 1n })), [['r/a'], true, 4n]);
    assert.deepEqual(summary(await kv.range({ ...R, maxModRevision: base + 2n })), [['r/c'], false, 4n]);
    assert.deepEqual(summary(await kv.range({ ...R, minCreateRevision: base + 2n })), [['r/c', 'r/d'], false, 4n]);
  });

  test('keys_only returns metadata with empty values', async () => {
    const [kvOnly] = (await kv.range({ key: bytes('r/a'), keysOnly: true })).kvs;
    assert.deepEqual(
      { ...kvOnly, key: kvOnly?.key.toString(), value: kvOnly?.value.toString() },
      { key: 'r/a', value: '', createRevision: base, modRevision: base + 4n, version: 2n, lease: 0n },
    );
  });
});

describe('sorting', () => {
  test('a sort target with no order sorts ascending', async () => {
    const response = await kv.range({ ...R, sortTarget: SortTarget.VERSION });
    assert.deepEqual(response.kvs.map((k) => k.version), [1n, 1n, 2n, 2n]);
  });

  test('sorting happens before the limit', async () => {
    assert.deepEqual(summary(await kv.range({ ...R, sortOrder: Order.DESCEND, limit: 2n })), [['r/d', 'r/c'], true, 4n]);
    const byValue = await kv.range({ ...R, sortOrder: Order.ASCEND, sortTarget: SortTarget.VALUE, limit: 2n });
    assert.deepEqual(byValue.kvs.map((k) => k.value.toString()), ['0', '2']);
  });
});

describe('range ends and prev_kv', () => {
  test('a range end of \\0 means every key from the key on; \\0 to \\0 means all keys', async () => {
    assert.deepEqual(keys(await kv.range({ key: bytes('r/c'), rangeEnd: Buffer.from([0]) })).slice(0, 2), ['r/c', 'r/d']);
    const all = await kv.range({ key: Buffer.from([0]), rangeEnd: Buffer.from([0]), countOnly: true });
    assert.ok(all.count >= 4n);
  });

  test('a range end before the key is an empty range, not an error', async () => {
    assert.deepEqual(summary(await kv.range({ key: bytes('r/c'), rangeEnd: bytes('r/a') })), [[], false, 0n]);
  });

  test('put prev_kv is absent for a new key and present after; delete prev_kv lists the deleted', async () => {
    const created = await kv.put({ key: bytes('p/new'), value: bytes('1'), prevKv: true });
    assert.equal(created.prevKv, undefined);
    const replaced = await kv.put({ key: bytes('p/new'), value: bytes('2'), prevKv: true });
    const createdAt = created.header?.revision ?? 0n;
    assert.equal(replaced.prevKv?.value.toString(), '1');
    assert.equal(replaced.prevKv?.modRevision, createdAt);
    const deleted = await kv.deleteRange({ key: bytes('p/new'), prevKv: true });
    assert.equal(deleted.deleted, 1n);
    assert.deepEqual(deleted.prevKvs.map((k) => [k.value.toString(), k.version, k.createRevision]), [['2', 2n, createdAt]]);
  });
});

describe('txn compares and nesting', () => {
  const versionAbove = (version: bigint) => ({
    ...R, target: Target.VERSION, result: Result.GREATER, targetUnion: { $case: 'version' as const, value: version },
  });

  test('a compare with a range end must hold for every key in the range', async () => {
    assert.equal((await kv.txn({ compare: [versionAbove(0n)] })).succeeded, true);
    assert.equal((await kv.txn({ compare: [versionAbove(1n)] })).succeeded, false);
  });

  test('a missing key fails a value compare, even NOT_EQUAL, and has version 0 and lease 0', async () => {
    const missing = bytes('r/missing');
    const value = await kv.txn({
      compare: [{ key: missing, target: Target.VALUE, result: Result.NOT_EQUAL, targetUnion: { $case: 'value', value: bytes('x') } }],
    });
    assert.equal(value.succeeded, false);
    const version = await kv.txn({
      compare: [{ key: missing, target: Target.VERSION, result: Result.EQUAL, targetUnion: { $case: 'version', value: 0n } }],
    });
    assert.equal(version.succeeded, true);
    const lease = await kv.txn({
      compare: [{ key: bytes('r/a'), target: Target.LEASE, result: Result.EQUAL, targetUnion: { $case: 'lease', value: 0n } }],
    });
    assert.equal(lease.succeeded, true);
  });

  test('an empty txn succeeds without a new revision; a failed read-only one too', async () => {
    const before = (await kv.range({ key: bytes('x') })).header?.revision;
    const empty = await kv.txn({});
    assert.deepEqual([empty.succeeded, empty.responses.length, empty.header?.revision], [true, 0, before]);
    const failed = await kv.txn({
      compare: [{ key: bytes('r/a'), target: Target.VALUE, result: Result.EQUAL, targetUnion: { $case: 'value', value: bytes('no') } }],
      failure: [{ request: { $case: 'requestRange', value: { key: bytes('r/a') } } }],
    });
    assert.deepEqual([failed.succeeded, failed.header?.revision], [false, before]);
  });

  test('a nested txn runs its own compare; its header is empty and its put shares the outer revision', async () => {
    const response = await kv.txn({
      success: [
        {
          request: {
            $case: 'requestTxn',
            value: {
              compare: [{ key: bytes('r/a'), target: Target.VALUE, result: Result.EQUAL, targetUnion: { $case: 'value', value: bytes('x') } }],
              success: [put('n/inner', 'in')],
            },
          },
        },
        { request: { $case: 'requestRange', value: { key: bytes('n/inner') } } },
      ],
    });
    const revision = response.header?.revision ?? 0n;
    const inner = response.responses[0]?.response;
    assert.equal(inner?.$case, 'responseTxn');
    if (inner?.$case !== 'responseTxn') return;
    assert.equal(inner.value.succeeded, true);
    // etcd leaves a nested txn's own header zeroed.
    assert.deepEqual(inner.value.header, { clusterId: 0n, memberId: 0n, revision: 0n, raftTerm: 0n });
    const innerPut = inner.value.responses[0]?.response;
    assert.equal(innerPut?.$case === 'responsePut' ? innerPut.value.header?.revision : -1n, revision);
    const read = response.responses[1]?.response;
    assert.deepEqual(read?.$case === 'responseRange' ? read.value.kvs.map((k) => [k.value.toString(), k.modRevision]) : [], [['in', revision]]);
  });

  test('a key written in a txn and in its nested txn is a duplicate; in two nested branches it is not', async () => {
    const nested = (success: DeepPartial<RequestOp>[], failure: DeepPartial<RequestOp>[] = []): DeepPartial<RequestOp> => ({
      request: { $case: 'requestTxn', value: { success, failure } },
    });
    await assert.rejects(kv.txn({ success: [put('n/dup', '1'), nested([put('n/dup', '2')])] }), {
      details: 'etcdserver: duplicate key given in txn request',
    });
    const branches = await kv.txn({ success: [nested([put('n/two', '1')], [put('n/two', '2')])] });
    assert.equal(branches.succeeded, true);
    assert.equal((await kv.range({ key: bytes('n/two') })).kvs[0]?.value.toString(), '1');
  });
});
