// The npm etcd3 client against one server: the builder APIs Node users write
// (put/get/getAll/delete/if...commit), with revision-aware reads.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Etcd3, Range } from 'etcd3';
import { startServer, type ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
let client: Etcd3;
before(async () => {
  server = await startServer({ name: 'npm' });
  client = new Etcd3({ hosts: server.clientUrl, dialTimeout: 5_000 });
});
after(async () => {
  client?.close();
  await server?.stop();
});

// The client's proto loader hands int64 fields back as decimal strings.
async function putRevision(key: string, value: string): Promise<number> {
  const response = await client.put(key).value(value).exec();
  return Number(response.header.revision);
}

describe('put and get', () => {
  test('put then get returns the string, buffer and metadata', async () => {
    const revision = await putRevision('n/a', 'alpha');
    assert.equal(await client.get('n/a').string(), 'alpha');
    assert.deepEqual(await client.get('n/a').buffer(), Buffer.from('alpha'));
    const response = await client.get('n/a').exec();
    assert.equal(response.count, '1');
    assert.equal(response.more, false);
    const [kv] = response.kvs;
    assert.equal(kv?.create_revision, String(revision));
    assert.equal(kv?.mod_revision, String(revision));
    assert.equal(kv?.version, '1');
    assert.equal(kv?.lease, '0');
  });

  test('a missing key reads as null and does not exist', async () => {
    assert.equal(await client.get('n/missing').string(), null);
    assert.equal(await client.get('n/missing').exists(), false);
  });

  test('put getPrevious returns the value it replaced', async () => {
    await client.put('n/prev').value('old');
    const previous = await client.put('n/prev').value('new').getPrevious();
    assert.equal(previous.value.toString(), 'old');
    assert.equal(previous.version, '1');
    assert.equal(await client.get('n/prev').string(), 'new');
  });

  test('numbers and json values round trip', async () => {
    await client.put('n/num').value(42);
    await client.put('n/json').value(JSON.stringify({ a: [1, 2] }));
    assert.equal(await client.get('n/num').number(), 42);
    assert.deepEqual(await client.get('n/json').json(), { a: [1, 2] });
  });
});

describe('getAll', () => {
  before(async () => {
    for (const [key, value] of [['ga/b', '2'], ['ga/a', '3'], ['ga/c', '1'], ['gb', 'out']]) await client.put(key!).value(value!);
  });

  test('prefix lists keys in order, limit and count work', async () => {
    assert.deepEqual(await client.getAll().prefix('ga/').keys(), ['ga/a', 'ga/b', 'ga/c']);
    assert.deepEqual(await client.getAll().prefix('ga/').strings(), { 'ga/a': '3', 'ga/b': '2', 'ga/c': '1' });
    assert.equal(await client.getAll().prefix('ga/').count(), 3);
    assert.deepEqual(await client.getAll().prefix('ga/').limit(2).keys(), ['ga/a', 'ga/b']);
  });

  test('sort by value descending', async () => {
    assert.deepEqual(await client.getAll().prefix('ga/').sort('Value', 'Descend').keys(), ['ga/a', 'ga/b', 'ga/c']);
    assert.deepEqual(await client.getAll().prefix('ga/').sort('Key', 'Descend').keys(), ['ga/c', 'ga/b', 'ga/a']);
  });

  test('a limited range says there is more and counts the whole range', async () => {
    const response = await client.getAll().prefix('ga/').limit(1).exec();
    assert.equal(response.more, true);
    assert.equal(response.count, '3');
    assert.equal(response.kvs.length, 1);
  });
});

describe('revision-aware reads', () => {
  test('reading at an older revision sees the older value and range', async () => {
    const r1 = await putRevision('rv/k', 'v1');
    const r2 = await putRevision('rv/k', 'v2');
    await putRevision('rv/other', 'x');
    assert.equal(await client.get('rv/k').revision(r1).string(), 'v1');
    assert.equal(await client.get('rv/k').revision(r2).string(), 'v2');
    assert.deepEqual(await client.getAll().prefix('rv/').revision(r2).keys(), ['rv/k']);
    assert.equal(await client.get('rv/k').revision(r1 - 1).string(), null);
  });

  test('min/max mod and create revision filters select keys', async () => {
    const ra = await putRevision('rf/a', '1');
    const rb = await putRevision('rf/b', '2');
    await putRevision('rf/a', '3');
    assert.deepEqual(await client.getAll().prefix('rf/').minModRevision(rb + 1).keys(), ['rf/a']);
    assert.deepEqual(await client.getAll().prefix('rf/').maxModRevision(rb).keys(), ['rf/b']);
    assert.deepEqual(await client.getAll().prefix('rf/').minCreateRevision(rb).keys(), ['rf/b']);
    assert.deepEqual(await client.getAll().prefix('rf/').maxCreateRevision(ra).keys(), ['rf/a']);
  });

  test('a future revision fails with etcd text', async () => {
    await assert.rejects(client.get('rv/k').revision(1_000_000).string(), {
      message: '11 OUT_OF_RANGE: etcdserver: mvcc: required revision is a future revision',
    });
  });
});

describe('delete', () => {
  test('delete a key, a prefix and a range, with previous values', async () => {
    for (const key of ['dx/a', 'dx/b', 'dx/c', 'dy/a']) await client.put(key).value(key);
    const one = await client.delete().key('dx/a').exec();
    assert.equal(one.deleted, '1');
    const previous = await client.delete().range(new Range('dx/b', 'dx/c')).getPrevious();
    assert.deepEqual(previous.map((kv) => kv.key.toString()), ['dx/b']);
    const prefix = await client.delete().prefix('dx/').exec();
    assert.equal(prefix.deleted, '1');
    assert.deepEqual(await client.getAll().prefix('d').keys(), ['dy/a']);
    assert.equal((await client.delete().key('dx/none').exec()).deleted, '0');
  });
});

describe('transactions', () => {
  test('if/then/else commits the branch the compares choose', async () => {
    await client.put('tx/a').value('1');
    const yes = await client.if('tx/a', 'Value', '==', '1').and('tx/a', 'Version', '>', 0)
      .then(client.put('tx/b').value('then'), client.get('tx/a'))
      .else(client.put('tx/b').value('else'))
      .commit();
    assert.equal(yes.succeeded, true);
    assert.equal(yes.responses.length, 2);
    assert.equal(yes.responses[1]?.response_range?.kvs[0]?.value.toString(), '1');
    assert.equal(await client.get('tx/b').string(), 'then');

    const no = await client.if('tx/a', 'Mod', '>', 1_000_000).then(client.delete().key('tx/a')).else(client.delete().key('tx/b')).commit();
    assert.equal(no.succeeded, false);
    assert.equal(no.responses[0]?.response_delete_range?.deleted, '1');
    assert.equal(await client.get('tx/a').string(), '1');
    assert.equal(await client.get('tx/b').string(), null);
  });

  test('a compare on a missing key sees create revision 0', async () => {
    const result = await client.if('tx/new', 'Create', '==', 0).then(client.put('tx/new').value('made')).commit();
    assert.equal(result.succeeded, true);
    assert.equal(await client.get('tx/new').string(), 'made');
  });

  test('a txn writing one key twice fails with etcd text', async () => {
    await assert.rejects(client.if('tx/a', 'Version', '>', 0).then(client.put('tx/d').value('1'), client.put('tx/d').value('2')).commit(), {
      message: '3 INVALID_ARGUMENT: etcdserver: duplicate key given in txn request',
    });
  });
});
