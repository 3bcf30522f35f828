// The grpc-gateway JSON API on the client port (/v3/kv/...), as curl users and
// HTTP-only clients call it: base64 bytes, int64s as strings, gRPC codes in errors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pick } from '../support/etcdctl-output.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

let server: ServerProcess;
before(async () => {
  server = await startServer({ name: 'gateway' });
});
after(async () => {
  await server?.stop();
});

const b64 = (text: string): string => Buffer.from(text).toString('base64');

async function post(path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${server.clientUrl}${path}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  return { status: response.status, json: await response.json() };
}

/** A 200 answer's body, with the header checked for int64-as-string fields and then dropped. */
async function ok(path: string, body: unknown): Promise<{ revision: number; rest: Record<string, unknown> }> {
  const { status, json } = await post(path, body);
  assert.equal(status, 200, JSON.stringify(json));
  const header = pick(json, 'header');
  for (const field of ['cluster_id', 'member_id', 'revision', 'raft_term']) {
    assert.match(String(pick(header, field)), /^\d+$/, `header.${field} is a decimal string`);
    assert.equal(typeof pick(header, field), 'string');
  }
  const { header: _header, ...rest } = json as Record<string, unknown>;
  return { revision: Number(pick(header, 'revision')), rest };
}

describe('kv over the JSON gateway', () => {
  test('put, put with prev_kv, and range show base64 bytes and string int64s', async () => {
    const first = await ok('/v3/kv/put', { key: b64('gw/a'), value: b64('1') });
    assert.deepEqual(first.rest, {});
    const r = first.revision;
    const second = await ok('/v3/kv/put', { key: b64('gw/a'), value: b64('2'), prev_kv: true });
    assert.equal(second.revision, r + 1);
    assert.deepEqual(second.rest, {
      prev_kv: { key: b64('gw/a'), create_revision: String(r), mod_revision: String(r), version: '1', value: b64('1') },
    });
    const range = await ok('/v3/kv/range', { key: b64('gw/a') });
    assert.deepEqual(range.rest, {
      kvs: [{ key: b64('gw/a'), create_revision: String(r), mod_revision: String(r + 1), version: '2', value: b64('2') }],
      count: '1',
    });
  });

  test('zero values are left out: a missing key has only a header, count_only only a count', async () => {
    assert.deepEqual((await ok('/v3/kv/range', { key: b64('gw/none') })).rest, {});
    assert.deepEqual((await ok('/v3/kv/range', { key: b64('gw/'), range_end: b64('gw0'), count_only: true })).rest, { count: '1' });
  });

  test('txn takes compares and ops by their JSON names', async () => {
    const txn = await ok('/v3/kv/txn', {
      compare: [{ key: b64('gw/a'), target: 'VALUE', result: 'EQUAL', value: b64('2') }],
      success: [{ request_put: { key: b64('gw/b'), value: b64('t') } }],
    });
    assert.deepEqual(txn.rest, { succeeded: true, responses: [{ response_put: { header: { revision: String(txn.revision) } } }] });
  });

  test('deleterange with prev_kv and compaction', async () => {
    const deleted = await ok('/v3/kv/deleterange', { key: b64('gw/'), range_end: b64('gw0'), prev_kv: true });
    assert.equal(pick(deleted.rest, 'deleted'), '2');
    assert.deepEqual((pick(deleted.rest, 'prev_kvs') as unknown[]).map((kv) => pick(kv, 'key')), [b64('gw/a'), b64('gw/b')]);
    const compacted = await ok('/v3/kv/compaction', { revision: String(deleted.revision) });
    assert.deepEqual(compacted.rest, {});
  });

  test('maintenance status over the gateway names the leader as a string id', async () => {
    const status = await ok('/v3/maintenance/status', {});
    assert.match(String(pick(status.rest, 'version')), /^3\.[45]\.\d+$/);
    assert.match(String(pick(status.rest, 'leader')), /^\d+$/);
    assert.match(String(pick(status.rest, 'dbSize')), /^\d+$/);
  });
});

describe('gateway errors', () => {
  test('an etcd error is HTTP 400 with the gRPC code and message', async () => {
    const message = 'etcdserver: key is not provided';
    assert.deepEqual(await post('/v3/kv/range', {}), { status: 400, json: { error: message, message, code: 3 } });
    const future = 'etcdserver: mvcc: required revision is a future revision';
    assert.deepEqual(await post('/v3/kv/range', { key: b64('gw/a'), revision: '100000' }), {
      status: 400,
      json: { error: future, message: future, code: 11 },
    });
  });

  test('a body that is not JSON is HTTP 400 with code 3', async () => {
    const { status, json } = await post('/v3/kv/range', '{not json');
    assert.equal(status, 400);
    // The message is Go's JSON decoder's own wording, so only its presence is checked.
    assert.equal(pick(json, 'code'), 3);
    assert.equal(typeof pick(json, 'error'), 'string');
  });

  test('an unknown path is 404 and a GET on an RPC path is 405', async () => {
    const unknown = await fetch(`${server.clientUrl}/v3/kv/nothing`, { method: 'POST', body: '{}' });
    await unknown.arrayBuffer();
    assert.equal(unknown.status, 404);
    const get = await fetch(`${server.clientUrl}/v3/kv/range`);
    await get.arrayBuffer();
    assert.equal(get.status, 405);
  });
});
