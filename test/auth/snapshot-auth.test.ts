// Users, roles, permissions and the enabled flag travel in etcd's snapshot format
// both ways: etcdctl snapshot save on one server, restore on the other, then the
// same logins and the same refusals.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServer as startInProcess } from '../../src/embed/start-server.js';
import { AuthService, KVService, type RangeRequest } from '../../src/generated/etcdserverpb/rpc.js';
import { etcdctlOk } from '../support/etcdctl.js';
import { grpcFailure, rawClient } from '../support/grpc-raw.js';
import { repoRoot } from '../support/repo-root.js';
import { withRestoredEtcd } from '../support/restored-etcd.js';
import { runCommand } from '../support/run-command.js';
import { startServer } from '../support/server-process.js';
import { ALICE, ROOT, TEST_BCRYPT_ARGS, call, login, setUpUsers } from './auth-fixture.js';

function rangeOf(key: string): RangeRequest {
  return {
    key: Buffer.from(key), rangeEnd: Buffer.alloc(0), limit: 0n, revision: 0n, sortOrder: 0, sortTarget: 0, serializable: false,
    keysOnly: false, countOnly: false, minModRevision: 0n, maxModRevision: 0n, minCreateRevision: 0n, maxCreateRevision: 0n,
  };
}

/** What the restored server must show: auth on, both users, alice's grant and refusal. */
async function assertAuthCarried(endpoint: string): Promise<void> {
  const client = rawClient(endpoint);
  try {
    // Auth is on: without a token nothing is served (etcd 3.4 has no AuthStatus to ask).
    assert.equal((await grpcFailure(call(client, KVService.range, rangeOf('app/x')))).details, 'etcdserver: user name is empty');
    const alice = await login(client, ALICE);
    await call(client, KVService.range, rangeOf('app/x'), alice);
    assert.equal((await grpcFailure(call(client, KVService.range, rangeOf('secret/x'), alice))).details, 'etcdserver: permission denied');
    const root = await login(client, ROOT);
    assert.deepEqual((await call(client, AuthService.userList, {}, root)).users, ['alice', 'root']);
    assert.equal((await call(client, AuthService.roleGet, { role: 'app' }, root)).perm.length, 2);
    assert.equal((await call(client, KVService.range, rangeOf('secret/x'), root)).kvs[0]?.value.toString(), 'top');
  } finally {
    client.close();
  }
}

async function saveSnapshot(target: 'etcd' | 'etcd-ts', file: string): Promise<void> {
  const source = await startServer({ target, args: TEST_BCRYPT_ARGS });
  try {
    await setUpUsers(source.endpoint);
    await etcdctlOk(source.endpoint, ['--user', `${ROOT.name}:${ROOT.password}`, 'snapshot', 'save', file]);
  } finally {
    await source.stop();
  }
}

test('etcd → etcd-ts: users, roles and the enabled flag restore, and etcd\'s bcrypt hashes still log in', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'auth-snap-in-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const file = join(work, 'from-etcd.db');
  await saveSnapshot('etcd', file);
  const dataDir = join(work, 'etcd-ts.etcd');
  const restore = await runCommand(process.execPath, [join(repoRoot(), 'bin', 'etcd-ts'), 'snapshot', 'restore', file, '--data-dir', dataDir], { timeoutMs: 30_000 });
  assert.equal(restore.code, 0, restore.stderr);
  const server = await startInProcess({ dataDir });
  try {
    await assertAuthCarried(server.endpoint);
  } finally {
    await server.close();
  }
});

test('etcd-ts → etcd: a snapshot saved from etcd-ts restores on etcd with auth intact', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'auth-snap-out-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const file = join(work, 'from-etcd-ts.db');
  await saveSnapshot('etcd-ts', file);
  await withRestoredEtcd(file, join(work, 'restored.etcd'), assertAuthCarried);
});

test('etcd-ts → etcd-ts: the restored member keeps auth on and refuses as before', async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'auth-snap-self-'));
  t.after(() => rm(work, { recursive: true, force: true }));
  const file = join(work, 'self.db');
  await saveSnapshot('etcd-ts', file);
  const dataDir = join(work, 'again.etcd');
  const restore = await runCommand(process.execPath, [join(repoRoot(), 'bin', 'etcd-ts'), 'snapshot', 'restore', file, '--data-dir', dataDir], { timeoutMs: 30_000 });
  assert.equal(restore.code, 0, restore.stderr);
  const server = await startInProcess({ dataDir });
  try {
    await assertAuthCarried(server.endpoint);
    const client = rawClient(server.endpoint);
    try {
      assert.equal((await call(client, AuthService.authStatus, {})).enabled, true);
    } finally {
      client.close();
    }
  } finally {
    await server.close();
  }
});
