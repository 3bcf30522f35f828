// The KV API against one server: what a user writing `etcd.put/get/range/delete/txn`
// observes, including revisions, options, paging at one revision, and typed errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CompactedError, FutureRevisionError, DuplicateKeyError } from '../../src/client/client-errors.js';
import { TxnBuilder, cmp, op } from '../../src/client/txn-builder.js';
import { openFixture, type ClientFixture } from './fixture.js';

let fx: ClientFixture;
before(async () => {
  fx = await openFixture();
});
after(async () => {
  await fx?.close();
});

describe('put, get and delete', () => {
  test('a put is read back with its revisions and version', async () => {
    const p = fx.prefix('kv');
    const first = await fx.etcd.put(`${p}a`, 'one');
    const second = await fx.etcd.put(`${p}a`, 'two', { prevKv: true });
    assert.equal(second.revision, first.revision + 1n);
    assert.equal(second.prevKv?.value.toString(), 'one');
    const kv = await fx.etcd.get(`${p}a`);
    assert.equal(kv?.value.toString(), 'two');
    assert.equal(kv?.createRevision, first.revision);
    assert.equal(kv?.modRevision, second.revision);
    assert.equal(kv?.version, 2n);
    assert.equal(await fx.etcd.getString(`${p}a`, {}), 'two');
    assert.equal(await fx.etcd.get(`${p}missing`), undefined);
  });

  test('an old revision is readable until compacted, then a typed CompactedError', async () => {
    const p = fx.prefix('kv-rev');
    const first = await fx.etcd.put(`${p}k`, 'v1');
    const second = await fx.etcd.put(`${p}k`, 'v2');
    assert.equal((await fx.etcd.get(`${p}k`, { revision: first.revision }))?.value.toString(), 'v1');
    await fx.etcd.kv.compact(second.revision);
    await assert.rejects(fx.etcd.get(`${p}k`, { revision: first.revision }), (error: unknown) => {
      assert.ok(error instanceof CompactedError);
      assert.equal(error.etcdMessage, 'etcdserver: mvcc: required revision has been compacted');
      assert.equal(error.grpcCode, 11);
      return true;
    });
    await assert.rejects(fx.etcd.get(`${p}k`, { revision: second.revision + 1000n }), FutureRevisionError);
  });

  test('delete by prefix reports how many keys went and their previous values', async () => {
    const p = fx.prefix('kv-del');
    for (const name of ['a', 'b', 'c']) await fx.etcd.put(`${p}${name}`, name);
    await fx.etcd.put(`${p.slice(0, -1)}x`, 'outside');
    const result = await fx.etcd.delete(p, { prefix: true, prevKv: true });
    assert.equal(result.deleted, 3n);
    assert.deepEqual(result.prevKvs.map((kv) => kv.value.toString()).sort(), ['a', 'b', 'c']);
    assert.equal((await fx.etcd.range(p, { prefix: true })).count, 0n);
    assert.equal(await fx.etcd.getString(`${p.slice(0, -1)}x`), 'outside');
  });

  test('lease-less put with ignoreValue keeps the old value', async () => {
    const p = fx.prefix('kv-ign');
    await fx.etcd.put(`${p}k`, 'kept');
    await fx.etcd.put(`${p}k`, '', { ignoreValue: true });
    const kv = await fx.etcd.get(`${p}k`);
    assert.equal(kv?.value.toString(), 'kept');
    assert.equal(kv?.version, 2n);
  });
});

describe('range options', () => {
  let p: string;
  before(async () => {
    p = fx.prefix('kv-range');
    // Values run against key order so a sort by value is visible.
    for (const [key, value] of [['a', '3'], ['b', '2'], ['c', '1'], ['d', '0']]) await fx.etcd.put(`${p}${key}`, value!);
    await fx.etcd.put(`${p}a`, '3');
  });

  test('prefix, limit, count and more', async () => {
    const result = await fx.etcd.range(p, { prefix: true, limit: 2 });
    assert.deepEqual(result.kvs.map((kv) => kv.key.toString().slice(p.length)), ['a', 'b']);
    assert.equal(result.more, true);
    assert.equal(result.count, 4n);
  });

  test('sort by value, by version, descending', async () => {
    const byValue = await fx.etcd.range(p, { prefix: true, sortTarget: 'value', sortOrder: 'ascend' });
    assert.deepEqual(byValue.kvs.map((kv) => kv.value.toString()), ['0', '1', '2', '3']);
    const byKeyDesc = await fx.etcd.range(p, { prefix: true, sortOrder: 'descend' });
    assert.deepEqual(byKeyDesc.kvs.map((kv) => kv.key.toString().slice(p.length)), ['d', 'c', 'b', 'a']);
    const byVersion = await fx.etcd.range(p, { prefix: true, sortTarget: 'version', sortOrder: 'descend', limit: 1 });
    assert.equal(byVersion.kvs[0]?.key.toString(), `${p}a`);
  });

  test('keysOnly, countOnly, rangeEnd and fromKey', async () => {
    const keysOnly = await fx.etcd.range(p, { prefix: true, keysOnly: true });
    assert.deepEqual(keysOnly.kvs.map((kv) => kv.value.length), [0, 0, 0, 0]);
    const countOnly = await fx.etcd.range(p, { prefix: true, countOnly: true });
    assert.equal(countOnly.kvs.length, 0);
    assert.equal(countOnly.count, 4n);
    const between = await fx.etcd.range(`${p}b`, { rangeEnd: `${p}d` });
    assert.deepEqual(between.kvs.map((kv) => kv.key.toString().slice(p.length)), ['b', 'c']);
    const fromC = await fx.etcd.range(`${p}c`, { fromKey: true, limit: 2 });
    assert.deepEqual(fromC.kvs.map((kv) => kv.key.toString().slice(p.length)), ['c', 'd']);
  });

  test('mod and create revision filters', async () => {
    const all = await fx.etcd.range(p, { prefix: true });
    const createdB = all.kvs[1]!.createRevision;
    const onlyLater = await fx.etcd.range(p, { prefix: true, minCreateRevision: createdB + 1n });
    assert.deepEqual(onlyLater.kvs.map((kv) => kv.key.toString().slice(p.length)), ['c', 'd']);
    const rewritten = await fx.etcd.range(p, { prefix: true, minModRevision: all.kvs[3]!.modRevision + 1n });
    assert.deepEqual(rewritten.kvs.map((kv) => kv.key.toString().slice(p.length)), ['a']);
    const early = await fx.etcd.range(p, { prefix: true, maxCreateRevision: createdB, serializable: true });
    assert.equal(early.kvs.length, 2);
  });
});

describe('pages', () => {
  test('pages cover the range once, in order, at the revision of the first page', async () => {
    const p = fx.prefix('kv-pages');
    const total = 53;
    const keys = Array.from({ length: total }, (_, i) => `${p}${String(i).padStart(3, '0')}`);
    for (const key of keys) await fx.etcd.put(key, 'v0');
    const seen: string[] = [];
    let pagesRead = 0;
    for await (const page of fx.etcd.pages(p, { prefix: true, pageSize: 10 })) {
      pagesRead++;
      if (pagesRead === 1) {
        // Writes after the first page must not show up in later pages.
        await fx.etcd.put(`${p}999-late`, 'late');
        await fx.etcd.put(keys[total - 1]!, 'v1');
      }
      for (const kv of page) seen.push(`${kv.key.toString()}=${kv.value.toString()}`);
    }
    assert.equal(pagesRead, 6);
    assert.deepEqual(seen, keys.map((key) => `${key}=v0`));
  });

  test('an empty prefix pages through every key in the store', async () => {
    await fx.etcd.put(`${fx.prefix('kv-all')}k`, 'v');
    const everything = await fx.etcd.range('', { prefix: true, countOnly: true });
    assert.ok(everything.count >= 1n);
    let seen = 0n;
    for await (const page of fx.etcd.pages('', { prefix: true, pageSize: 7, keysOnly: true })) seen += BigInt(page.length);
    assert.equal(seen, everything.count);
    assert.equal((await fx.etcd.range(Buffer.from([0]), { fromKey: true, countOnly: true })).count, everything.count);
  });

  test('a page size out of bounds is refused before any call', async () => {
    await assert.rejects(async () => {
      for await (const page of fx.etcd.pages('x', { pageSize: 0 })) assert.fail(`unexpected page ${page.length}`);
    }, RangeError);
  });
});

describe('txn', () => {
  test('a compare-and-swap succeeds once, and the loser sees the winner value', async () => {
    const p = fx.prefix('txn');
    const created = await fx.etcd
      .txn()
      .when(cmp.createRevision(`${p}k`, '=', 0))
      .then(op.put(`${p}k`, 'first'))
      .else(op.get(`${p}k`))
      .commit();
    assert.equal(created.succeeded, true);
    const lost = await fx.etcd.txn().when(cmp.createRevision(`${p}k`, '=', 0)).then(op.put(`${p}k`, 'second')).else(op.get(`${p}k`)).commit();
    assert.equal(lost.succeeded, false);
    const read = lost.responses[0];
    assert.equal(read?.type, 'range');
    assert.equal(read?.type === 'range' ? read.result.kvs[0]?.value.toString() : undefined, 'first');
    assert.equal(lost.revision, created.revision);
  });

  test('value, version, mod revision and lease compares; nested txn; delete op', async () => {
    const p = fx.prefix('txn-cmp');
    const put = await fx.etcd.put(`${p}k`, 'v');
    const result = await fx.etcd
      .txn()
      .when(
        cmp.value(`${p}k`, '=', 'v'),
        cmp.version(`${p}k`, '>', 0),
        cmp.modRevision(`${p}k`, '=', put.revision),
        cmp.lease(`${p}k`, '=', 0),
        cmp.value(`${p}k`, '!=', 'w'),
      )
      .then(op.delete(`${p}k`, { prevKv: true }), op.txn(new TxnBuilder().when(cmp.version(`${p}other`, '=', 0)).then(op.put(`${p}other`, 'x'))))
      .commit();
    assert.equal(result.succeeded, true);
    const deleted = result.responses[0];
    assert.equal(deleted?.type === 'delete' ? deleted.result.deleted : -1n, 1n);
    const nested = result.responses[1];
    assert.equal(nested?.type === 'txn' ? nested.result.succeeded : undefined, true);
    assert.equal(await fx.etcd.getString(`${p}other`), 'x');
    assert.equal(await fx.etcd.get(`${p}k`), undefined);
  });

  test('a duplicate key in one txn is etcd’s DuplicateKeyError', async () => {
    const p = fx.prefix('txn-dup');
    await assert.rejects(fx.etcd.txn().then(op.put(`${p}k`, '1'), op.put(`${p}k`, '2')).commit(), DuplicateKeyError);
  });
});

describe('call controls', () => {
  test('an aborted signal stops the call with its reason', async () => {
    const controller = new AbortController();
    controller.abort(new Error('user gave up'));
    await assert.rejects(fx.etcd.get('any', { signal: controller.signal }), /user gave up/);
  });
});
