// --auth-token jwt: tokens carry etcd's claims, are refused when forged or expired,
// and become "revision of auth store is old" once auth changes; the TypeScript client
// then logs in again and retries. Runs on etcd-ts, or on etcd with ETCD_TS_TARGET=etcd.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { Etcd } from '../../src/client/etcd.js';
import { AuthService, KVService, type RangeRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { grpcFailure, rawClient } from '../support/grpc-raw.js';
import type { ServerProcess } from '../support/server-process.js';
import { ALICE, ROOT, call, firstWatchAnswer, login, startServerWithUsers } from './auth-fixture.js';

const TOKEN_TTL_SECONDS = 2;
const INVALID_TOKEN = { code: grpc.status.UNAUTHENTICATED, details: 'etcdserver: invalid auth token' };

let server: ServerProcess;
let client: grpc.Client;
let keyDir: string;

function rangeOf(key: string): RangeRequest {
  return {
    key: Buffer.from(key), rangeEnd: Buffer.alloc(0), limit: 0n, revision: 0n, sortOrder: 0, sortTarget: 0, serializable: false,
    keysOnly: false, countOnly: false, minModRevision: 0n, maxModRevision: 0n, minCreateRevision: 0n, maxCreateRevision: 0n,
  };
}

before(async () => {
  keyDir = await mkdtemp(join(tmpdir(), 'jwt-keys-'));
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await writeFile(join(keyDir, 'pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
  await writeFile(join(keyDir, 'priv.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const spec = `jwt,pub-key=${join(keyDir, 'pub.pem')},priv-key=${join(keyDir, 'priv.pem')},sign-method=RS256,ttl=${TOKEN_TTL_SECONDS}s`;
  server = await startServerWithUsers(['--auth-token', spec]);
  client = rawClient(server.endpoint);
});
after(async () => {
  client?.close();
  await server?.stop();
  if (keyDir !== undefined) await rm(keyDir, { recursive: true, force: true });
});

test('a login answers a signed JWT with etcd\'s claims, which opens the user\'s keys', async () => {
  const token = await login(client, ALICE);
  assert.equal(decodeProtectedHeader(token).alg, 'RS256');
  const claims = decodeJwt(token);
  assert.equal(claims['username'], 'alice');
  assert.equal(typeof claims['revision'], 'number');
  assert.ok(typeof claims.exp === 'number' && claims.exp * 1000 > Date.now());
  await call(client, KVService.range, rangeOf('app/x'), token);
});

test('a watch opened with a token never used before is checked once its signature is verified', async () => {
  // The first sight of a JWT is verified asynchronously: the stream holds later requests until then.
  const allowed = await firstWatchAnswer(client, await login(client, ALICE), 'app/', 'app0');
  assert.equal(allowed.created, true);
  assert.equal(allowed.canceled, false);
  const refused = await firstWatchAnswer(client, await login(client, ALICE), 'secret/', 'secret0');
  assert.equal(refused.canceled, true);
  assert.equal(refused.cancelReason, 'rpc error: code = PermissionDenied desc = etcdserver: permission denied');
});

test('a token with the same claims signed by another key is invalid', async () => {
  const claims = decodeJwt(await login(client, ALICE));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const forged = await new SignJWT({ ...claims, username: 'root' }).setProtectedHeader({ alg: 'RS256', typ: 'JWT' }).sign(privateKey);
  assert.deepEqual(await grpcFailure(call(client, KVService.range, rangeOf('secret/x'), forged)), INVALID_TOKEN);
});

test('an expired token is invalid', async () => {
  const token = await login(client, ALICE);
  await new Promise((resolve) => setTimeout(resolve, (TOKEN_TTL_SECONDS + 1.2) * 1000));
  assert.deepEqual(await grpcFailure(call(client, KVService.range, rangeOf('app/x'), token)), INVALID_TOKEN);
});

test('after an auth change an older token is "revision of auth store is old"; the client logs in again', async () => {
  const token = await login(client, ALICE);
  const rootToken = await login(client, ROOT);
  await call(client, AuthService.roleAdd, { name: 'bump' }, rootToken);
  const stale = { code: grpc.status.INVALID_ARGUMENT, details: 'etcdserver: revision of auth store is old' };
  assert.deepEqual(await grpcFailure(call(client, KVService.range, rangeOf('app/x'), token)), stale);
  const alice = new Etcd({ endpoints: [server.endpoint], auth: { username: ALICE.name, password: ALICE.password } });
  let renewals = 0;
  const renew = alice.rpc.refreshToken.bind(alice.rpc);
  alice.rpc.refreshToken = async (options) => {
    renewals++;
    return renew(options);
  };
  try {
    await alice.put('app/before', '1');
    await call(client, AuthService.roleDelete, { role: 'bump' }, rootToken);
    await alice.put('app/after', '2');
    assert.equal(await alice.getString('app/after'), '2');
    assert.equal(renewals, 1);
  } finally {
    await alice.close();
  }
});
