// Auth in a three-member cluster: every change and every login is a log entry, so a
// user made on one member logs in on another, a simple token issued by one member is
// honoured by the others, and a revoke applied anywhere is enforced everywhere.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthService, KVService, type RangeRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { etcdctlOk } from '../support/etcdctl.js';
import { grpcFailure, rawClient } from '../support/grpc-raw.js';
import { ClusterProcess } from '../cluster/support/cluster-process.js';
import { ALICE, ROOT, TEST_BCRYPT_ARGS, call, login, setUpUsers } from './auth-fixture.js';

function rangeOf(key: string): RangeRequest {
  return {
    key: Buffer.from(key), rangeEnd: Buffer.alloc(0), limit: 0n, revision: 0n, sortOrder: 0, sortTarget: 0, serializable: false,
    keysOnly: false, countOnly: false, minModRevision: 0n, maxModRevision: 0n, minCreateRevision: 0n, maxCreateRevision: 0n,
  };
}

test('users, tokens and revokes are the same on every member', { timeout: 120_000 }, async () => {
  const cluster = await ClusterProcess.start(3, { args: TEST_BCRYPT_ARGS });
  const [first, second, third] = cluster.endpoints();
  const clients = cluster.endpoints().map((endpoint) => rawClient(endpoint));
  try {
    await setUpUsers(first ?? '');
    const [one, two, three] = clients;
    if (one === undefined || two === undefined || three === undefined) throw new Error('three members expected');
    // A token issued by member 1 works on members 2 and 3 (each applied the login from the log).
    const token = await login(one, ALICE);
    await call(two, KVService.put, { key: Buffer.from('app/c'), value: Buffer.from('v'), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false }, token);
    assert.equal((await call(three, KVService.range, rangeOf('app/c'), token)).kvs[0]?.value.toString(), 'v');
    assert.equal((await grpcFailure(call(three, KVService.range, rangeOf('secret/x'), token))).details, 'etcdserver: permission denied');
    // A revoke proposed through member 3 is enforced on member 2.
    const rootToken = await login(three, ROOT);
    await call(three, AuthService.userRevokeRole, { name: ALICE.name, role: 'app' }, rootToken);
    await etcdctlOk(second ?? '', ['--user', `${ROOT.name}:${ROOT.password}`, 'get', 'app/c']);
    assert.equal((await grpcFailure(call(two, KVService.range, rangeOf('app/c'), token))).details, 'etcdserver: permission denied');
    assert.deepEqual((await call(two, AuthService.userGet, { name: ALICE.name }, await login(two, ROOT))).roles, []);
    await etcdctlOk(third ?? '', ['--user', `${ROOT.name}:${ROOT.password}`, 'user', 'list']);
  } finally {
    clients.forEach((client) => client.close());
    await cluster.stop();
  }
});
