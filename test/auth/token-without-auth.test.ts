// With auth disabled, etcd still reads a token that a client sends: a request it proposes
// through raft with an empty or unknown token is refused as "invalid auth token", while
// a request without one goes through. Both servers are asked the same questions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { startServer, type ServerProcess, type ServerTarget } from '../support/server-process.js';
import { rawClient, type UnaryMethod } from '../support/grpc-raw.js';
import {
  KVService,
  LeaseService,
  LeaseGrantRequest,
  LeaseRevokeRequest,
  PutRequest,
  type LeaseGrantResponse,
} from '../../src/generated/etcdserverpb/rpc.js';

const CALL_DEADLINE_MS = 5_000;
const LEASE_TTL_S = 60n;

type Outcome = 'ok' | string;

function callWithToken<Req, Res>(client: grpc.Client, method: UnaryMethod<Req, Res>, request: Req, token: string | undefined): Promise<{ outcome: Outcome; response?: Res }> {
  const metadata = new grpc.Metadata();
  if (token !== undefined) metadata.set('token', token);
  return new Promise((resolve) => {
    client.makeUnaryRequest(method.path, method.requestSerialize, method.responseDeserialize, request, metadata, { deadline: Date.now() + CALL_DEADLINE_MS }, (error, response) => {
      resolve(error ? { outcome: `${error.code} ${error.details}` } : { outcome: 'ok', response });
    });
  });
}

async function answers(server: ServerProcess): Promise<Record<string, Outcome>> {
  const client = rawClient(server.endpoint);
  try {
    const seen: Record<string, Outcome> = {};
    const granted = await callWithToken(client, LeaseService.leaseGrant, LeaseGrantRequest.fromPartial({ TTL: LEASE_TTL_S }), undefined);
    const leaseId = (granted.response as LeaseGrantResponse | undefined)?.ID ?? 0n;
    for (const [label, token] of [['none', undefined], ['empty', ''], ['unknown', 'bogus.1']] as const) {
      seen[`put/${label}`] = (await callWithToken(client, KVService.put, PutRequest.fromPartial({ key: Buffer.from('k'), value: Buffer.from('v') }), token)).outcome;
      seen[`grant/${label}`] = (await callWithToken(client, LeaseService.leaseGrant, LeaseGrantRequest.fromPartial({ TTL: LEASE_TTL_S }), token)).outcome;
      seen[`revoke/${label}`] = (await callWithToken(client, LeaseService.leaseRevoke, LeaseRevokeRequest.fromPartial({ ID: leaseId }), token)).outcome;
    }
    return seen;
  } finally {
    client.close();
  }
}

const servers = new Map<ServerTarget, ServerProcess>();
before(async () => {
  for (const target of ['etcd-ts', 'etcd'] as const) servers.set(target, await startServer({ target }));
});
after(async () => {
  await Promise.all([...servers.values()].map((server) => server.stop()));
});

test('with auth off, a sent token that is empty or unknown is refused as on etcd; no token is fine', async () => {
  const ours = await answers(servers.get('etcd-ts') as ServerProcess);
  const invalid = `${grpc.status.UNAUTHENTICATED} etcdserver: invalid auth token`;
  assert.deepEqual(ours, {
    'put/none': 'ok',
    'grant/none': 'ok',
    'revoke/none': 'ok',
    'put/empty': invalid,
    'grant/empty': invalid,
    // The lease was revoked by the call without a token; the token is judged first.
    'revoke/empty': invalid,
    'put/unknown': invalid,
    'grant/unknown': invalid,
    'revoke/unknown': invalid,
  });
  assert.deepEqual(await answers(servers.get('etcd') as ServerProcess), ours);
});
