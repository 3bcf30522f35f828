// The client's retry rules against a scripted gRPC server that fails on cue: reads are
// retried, a write that reached the server is not, an endpoint that never answers is
// skipped, and an auth-store-old token is renewed and the call retried exactly once.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { Metadata, Server, ServerCredentials, status as GrpcStatus, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import {
  AuthService,
  KVService,
  PutResponse,
  RangeResponse,
  type AuthenticateRequest,
  type AuthenticateResponse,
  type PutRequest,
  type RangeRequest,
} from '../../src/generated/etcdserverpb/rpc.js';
import { Etcd } from '../../src/client/etcd.js';
import { AuthOldRevisionError, NoLeaderError } from '../../src/client/client-errors.js';
import { freePorts } from '../support/free-port.js';

interface Script {
  rangeFailures: number;
  putFailures: number;
  /** Puts answered "auth store is old" while the caller's token is older than this number. */
  tokenGenerationRequired: number;
  calls: { range: number; put: number; authenticate: number };
  tokensSeen: string[];
}

let script: Script;
let server: Server;
let endpoint: string;

function fail(callback: sendUnaryData<never>, code: number, details: string): void {
  callback({ code, details, metadata: new Metadata(), name: 'Error', message: details });
}

function tokenGeneration(metadata: Metadata): number {
  const token = metadata.get('token')[0];
  if (token !== undefined) script.tokensSeen.push(String(token));
  return token === undefined ? 0 : Number(String(token).replace('token-', ''));
}

before(async () => {
  server = new Server();
  server.addService(KVService, {
    range: (call: ServerUnaryCall<RangeRequest, RangeResponse>, callback: sendUnaryData<RangeResponse>) => {
      script.calls.range++;
      if (script.rangeFailures-- > 0) return fail(callback, GrpcStatus.UNAVAILABLE, 'etcdserver: no leader');
      callback(null, RangeResponse.fromPartial({ header: { revision: 7n }, count: 0n }));
    },
    put: (call: ServerUnaryCall<PutRequest, PutResponse>, callback: sendUnaryData<PutResponse>) => {
      script.calls.put++;
      if (tokenGeneration(call.metadata) < script.tokenGenerationRequired) {
        return fail(callback, GrpcStatus.FAILED_PRECONDITION, 'etcdserver: revision of auth store is old');
      }
      if (script.putFailures-- > 0) return fail(callback, GrpcStatus.UNAVAILABLE, 'etcdserver: no leader');
      callback(null, PutResponse.fromPartial({ header: { revision: 8n } }));
    },
  });
  server.addService(AuthService, {
    authenticate: (_call: ServerUnaryCall<AuthenticateRequest, AuthenticateResponse>, callback: sendUnaryData<AuthenticateResponse>) => {
      script.calls.authenticate++;
      callback(null, { header: undefined, token: `token-${script.calls.authenticate}` });
    },
  });
  const [port] = await freePorts(1);
  endpoint = `127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(endpoint, ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())),
  );
});
after(async () => {
  await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
});
beforeEach(() => {
  script = { rangeFailures: 0, putFailures: 0, tokenGenerationRequired: 0, calls: { range: 0, put: 0, authenticate: 0 }, tokensSeen: [] };
});

async function withClient(options: { endpoints?: string[]; auth?: boolean }, body: (etcd: Etcd) => Promise<void>): Promise<void> {
  const etcd = new Etcd({
    endpoints: options.endpoints ?? [endpoint],
    auth: options.auth === true ? { username: 'alice', password: 'pw' } : undefined,
    dialTimeoutMs: 1_000,
    defaultCallTimeoutMs: 5_000,
  });
  try {
    await body(etcd);
  } finally {
    await etcd.close();
  }
}

describe('retries', () => {
  test('a read that fails with UNAVAILABLE is retried and succeeds', async () => {
    script.rangeFailures = 2;
    await withClient({}, async (etcd) => {
      const result = await etcd.range('k');
      assert.equal(result.revision, 7n);
    });
    assert.equal(script.calls.range, 3);
  });

  test('a write that reached the server and failed is not retried', async () => {
    script.putFailures = 1;
    await withClient({}, async (etcd) => {
      await assert.rejects(etcd.put('k', 'v'), NoLeaderError);
    });
    assert.equal(script.calls.put, 1);
  });

  test('with the first endpoint down, reads and writes go to the second', async () => {
    const [deadPort] = await freePorts(1);
    await withClient({ endpoints: [`127.0.0.1:${deadPort}`, endpoint] }, async (etcd) => {
      assert.equal((await etcd.put('k', 'v')).revision, 8n);
      assert.equal((await etcd.range('k')).revision, 7n);
    });
    assert.equal(script.calls.put, 1);
  });
});

describe('auth token renewal', () => {
  test('the token rides in `token` metadata', async () => {
    await withClient({ auth: true }, async (etcd) => {
      await etcd.put('k', 'v');
    });
    assert.deepEqual(script.tokensSeen, ['token-1']);
  });

  test('"revision of auth store is old" renews the token and retries the write once', async () => {
    script.tokenGenerationRequired = 2;
    await withClient({ auth: true }, async (etcd) => {
      assert.equal((await etcd.put('k', 'v')).revision, 8n);
    });
    assert.deepEqual(script.tokensSeen, ['token-1', 'token-2']);
    assert.equal(script.calls.authenticate, 2);
  });

  test('a second auth failure after the renewal reaches the caller', async () => {
    script.tokenGenerationRequired = 99;
    await withClient({ auth: true }, async (etcd) => {
      await assert.rejects(etcd.put('k', 'v'), AuthOldRevisionError);
    });
    assert.equal(script.calls.put, 2);
  });
});
