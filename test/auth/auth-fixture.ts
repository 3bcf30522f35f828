// Shared set-up for the auth tests: a server with users made through etcdctl (the way
// an operator does it), and raw gRPC calls that carry a token in `token` metadata.
import * as grpc from '@grpc/grpc-js';
import { AuthService, WatchRequest, WatchService, type WatchResponse } from '../../src/generated/etcdserverpb/rpc.js';
import { etcdctlOk } from '../support/etcdctl.js';
import { unary, type UnaryMethod } from '../support/grpc-raw.js';
import { startServer, type ServerProcess } from '../support/server-process.js';

export const ROOT = { name: 'root', password: 'root-pw' };
export const ALICE = { name: 'alice', password: 'alice-pw' };
/** Fast hashing in tests; both etcd and etcd-ts accept it. */
export const TEST_BCRYPT_ARGS = ['--bcrypt-cost', '4'];
const CALL_TIMEOUT_MS = 10_000;

/**
 * root (root role); alice with role `app`: readwrite on the prefix app/ and read on
 * pub/; a key outside both (secret/x) written by root; then auth enabled.
 */
export async function setUpUsers(endpoint: string): Promise<void> {
  const steps = [
    ['user', 'add', `${ROOT.name}:${ROOT.password}`],
    ['role', 'add', 'root'],
    ['user', 'grant-role', 'root', 'root'],
    ['user', 'add', `${ALICE.name}:${ALICE.password}`],
    ['role', 'add', 'app'],
    ['role', 'grant-permission', 'app', 'readwrite', 'app/', '--prefix'],
    ['role', 'grant-permission', 'app', 'read', 'pub/', '--prefix'],
    ['user', 'grant-role', 'alice', 'app'],
    ['put', 'secret/x', 'top'],
    ['auth', 'enable'],
  ];
  for (const step of steps) await etcdctlOk(endpoint, step);
}

/** A server (etcd-ts, or etcd with ETCD_TS_TARGET=etcd) with fast hashing, `extraArgs`, and the users of setUpUsers. */
export async function startServerWithUsers(extraArgs: readonly string[] = []): Promise<ServerProcess> {
  const server = await startServer({ args: [...TEST_BCRYPT_ARGS, ...extraArgs] });
  await setUpUsers(server.endpoint);
  return server;
}

export function withToken(token: string | undefined): grpc.Metadata {
  const metadata = new grpc.Metadata();
  if (token !== undefined) metadata.set('token', token);
  return metadata;
}

export function call<Req, Res>(client: grpc.Client, method: UnaryMethod<Req, Res>, request: Req, token?: string): Promise<Res> {
  return unary(client, method, request, CALL_TIMEOUT_MS, withToken(token));
}

export async function login(client: grpc.Client, user: { name: string; password: string }): Promise<string> {
  return (await call(client, AuthService.authenticate, { name: user.name, password: user.password })).token;
}

/** Opens a watch stream as `token`, sends one create, and returns the first answer. */
export function firstWatchAnswer(client: grpc.Client, token: string | undefined, key: string, rangeEnd = ''): Promise<WatchResponse> {
  return new Promise((resolve, reject) => {
    const method = WatchService.watch;
    const stream = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, withToken(token), {
      deadline: Date.now() + CALL_TIMEOUT_MS,
    });
    stream.on('data', (response: WatchResponse) => {
      resolve(response);
      stream.cancel();
    });
    stream.on('error', (error: grpc.ServiceError) => {
      if (error.code !== grpc.status.CANCELLED) reject(error);
    });
    const create = { key: Buffer.from(key), rangeEnd: Buffer.from(rangeEnd, 'latin1') };
    stream.write(WatchRequest.fromPartial({ requestUnion: { $case: 'createRequest', value: create } }));
  });
}
