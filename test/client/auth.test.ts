// Authentication through the client against a real server: the token goes in `token`
// metadata, and a token the server forgot (restart) is renewed and the call retried once.
// The "auth store is old" retry is in retry-policy.test.ts: etcd's simple tokens never send it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Etcd } from '../../src/client/etcd.js';
import { AuthFailedError, EtcdClientError, PermissionDeniedError } from '../../src/client/client-errors.js';
import { openFixture, type ClientFixture } from './fixture.js';

const ROOT_PASSWORD = 'root-secret';

let fx: ClientFixture;
let root: Etcd | undefined;
before(async () => {
  fx = await openFixture();
  await fx.etcd.auth.userAdd('root', ROOT_PASSWORD);
  await fx.etcd.auth.roleAdd('root').catch((error: unknown) => {
    // Some versions create the root role with the first grant; an existing one is fine.
    if (!(error instanceof EtcdClientError && /already exists/.test(error.etcdMessage))) throw error;
  });
  await fx.etcd.auth.userGrantRole('root', 'root');
  await fx.etcd.auth.userAdd('alice', 'alice-secret');
  await fx.etcd.auth.roleAdd('app');
  await fx.etcd.auth.roleGrantPermission('app', 'readwrite', 'app/', { prefix: true });
  await fx.etcd.auth.userGrantRole('alice', 'app');
  await fx.etcd.auth.enable();
  root = new Etcd({ endpoints: [fx.server.endpoint], auth: { username: 'root', password: ROOT_PASSWORD } });
});
after(async () => {
  await root?.close();
  await fx?.close();
});

/** Counts token renewals, so a test proves the retry path ran rather than never being needed. */
function countRenewals(client: Etcd): { count: number } {
  const counter = { count: 0 };
  const original = client.rpc.refreshToken.bind(client.rpc);
  client.rpc.refreshToken = async (options) => {
    counter.count++;
    return original(options);
  };
  return counter;
}

describe('auth', () => {
  test('a user with a role reads and writes its keys and is denied others', async () => {
    const alice = new Etcd({ endpoints: [fx.server.endpoint], auth: { username: 'alice', password: 'alice-secret' } });
    try {
      await alice.put('app/config', 'on');
      assert.equal(await alice.getString('app/config'), 'on');
      await assert.rejects(alice.put('other/key', 'x'), PermissionDeniedError);
    } finally {
      await alice.close();
    }
  });

  test('a wrong password is AuthFailedError; no credentials cannot read', async () => {
    const wrong = new Etcd({ endpoints: [fx.server.endpoint], auth: { username: 'alice', password: 'nope' } });
    try {
      await assert.rejects(wrong.get('app/config'), AuthFailedError);
    } finally {
      await wrong.close();
    }
    await assert.rejects(fx.etcd.get('app/config'), (error: unknown) => error instanceof EtcdClientError && error.grpcCode !== 0);
  });

  test('after a server restart forgets tokens, calls re-authenticate transparently', async () => {
    const alice = new Etcd({ endpoints: [fx.server.endpoint], auth: { username: 'alice', password: 'alice-secret' } });
    const renewals = countRenewals(alice);
    try {
      await alice.put('app/b', 'before');
      await fx.server.restart();
      await alice.put('app/b', 'after');
      assert.equal(await alice.getString('app/b'), 'after');
      assert.equal(renewals.count, 1);
    } finally {
      await alice.close();
    }
  });
});
