// The JSON gateway with auth: /v3/auth/authenticate answers a token, which the
// Authorization header carries on later calls (etcd's gateway passes it through).
// Runs on etcd-ts, or on etcd with ETCD_TS_TARGET=etcd.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ServerProcess } from '../support/server-process.js';
import { ALICE, startServerWithUsers } from './auth-fixture.js';

const base64 = (text: string): string => Buffer.from(text).toString('base64');

let server: ServerProcess;
before(async () => {
  server = await startServerWithUsers();
});
after(async () => {
  await server?.stop();
});

async function post(path: string, body: unknown, token?: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers['authorization'] = token;
  const response = await fetch(`${server.clientUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

test('a token from /v3/auth/authenticate in the Authorization header opens the user\'s keys only', async () => {
  const login = await post('/v3/auth/authenticate', { name: ALICE.name, password: ALICE.password });
  assert.equal(login.status, 200);
  const token = login.json['token'];
  assert.equal(typeof token, 'string');
  const put = await post('/v3/kv/put', { key: base64('app/gw'), value: base64('via gateway') }, String(token));
  assert.equal(put.status, 200);
  const got = await post('/v3/kv/range', { key: base64('app/gw') }, String(token));
  const kvs = got.json['kvs'] as Array<{ value: string }>;
  assert.equal(Buffer.from(kvs[0]?.value ?? '', 'base64').toString(), 'via gateway');
  const denied = await post('/v3/kv/range', { key: base64('secret/x') }, String(token));
  assert.equal(denied.status, 403);
  assert.equal(denied.json['message'], 'etcdserver: permission denied');
  assert.equal(denied.json['code'], 7);
  const anonymous = await post('/v3/kv/range', { key: base64('app/gw') });
  assert.equal(anonymous.json['message'], 'etcdserver: user name is empty');
  const forged = await post('/v3/kv/range', { key: base64('app/gw') }, 'forged.1');
  assert.equal(forged.status, 401);
  assert.equal(forged.json['message'], 'etcdserver: invalid auth token');
});
