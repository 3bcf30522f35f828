// The auth state machine on its own: etcd's rules for users, roles and the root
// account, the revision bumps, the merged permission check, persistence, and the
// apply-time wrapper that honours a grant revoked between propose and apply.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Metadata } from '@grpc/grpc-js';
import { commonNameOf, AuthGate } from '../../src/auth/auth-gate.js';
import { authorizingApplier } from '../../src/auth/auth-applier.js';
import { AuthStore } from '../../src/auth/auth-store.js';
import { MergedIntervals } from '../../src/auth/range-permissions.js';
import { SimpleTokens } from '../../src/auth/simple-tokens.js';
import { MemoryBackend } from '../../src/backend/memory-backend.js';
import { EtcdError } from '../../src/errors/etcd-error.js';
import { Permission_Type } from '../../src/generated/authpb/auth.js';
import { LogRequest } from '../../src/generated/internalpb/internal.js';

const b = (text: string): Buffer => Buffer.from(text, 'latin1');
const NONE = Buffer.alloc(0);

function code(error: unknown): string {
  return error instanceof EtcdError ? error.code : String(error);
}

function rejects(body: () => void, expected: string): void {
  assert.throws(body, (error: unknown) => code(error) === expected);
}

function storeWithRootAndAlice(): { store: AuthStore; backend: MemoryBackend } {
  const backend = MemoryBackend.open();
  const store = new AuthStore(backend);
  store.userAdd('root', b('hash'), false);
  store.userGrantRole('root', 'root');
  store.userAdd('alice', b('hash'), false);
  store.roleAdd('app');
  store.roleGrantPermission('app', { permType: Permission_Type.READWRITE, key: b('app/'), rangeEnd: b('app0') });
  store.userGrantRole('alice', 'app');
  return { store, backend };
}

test('merged intervals: touching grants cover a range neither covers alone; gaps and from-key are exact', () => {
  const merged = MergedIntervals.of([
    { start: b('a'), end: b('c') },
    { start: b('c'), end: b('e') },
    { start: b('x'), end: null },
  ]);
  assert.equal(merged.covers(b('b'), b('d')), true);
  assert.equal(merged.covers(b('a'), b('e')), true);
  assert.equal(merged.covers(b('a'), b('f')), false);
  assert.equal(merged.covers(b('e'), NONE), false);
  assert.equal(merged.covers(b('d'), NONE), true);
  assert.equal(merged.covers(b('y'), b('\0')), true);
  assert.equal(merged.covers(b('w'), b('\0')), false);
});

test('enable needs a root user holding the root role; root cannot lose it while enabled', () => {
  const store = new AuthStore(MemoryBackend.open());
  rejects(() => store.enable(), 'RootUserNotExist');
  store.userAdd('root', b('hash'), false);
  rejects(() => store.enable(), 'RootRoleNotExist');
  store.userGrantRole('root', 'root');
  store.enable();
  rejects(() => store.userRevokeRole('root', 'root'), 'InvalidAuthMgmt');
  rejects(() => store.userDelete('root'), 'InvalidAuthMgmt');
  rejects(() => store.roleDelete('root'), 'InvalidAuthMgmt');
  store.disable();
  store.userRevokeRole('root', 'root');
});

test('etcd errors for names, roles and permissions', () => {
  const { store } = storeWithRootAndAlice();
  rejects(() => store.userAdd('', b('h'), false), 'UserEmpty');
  rejects(() => store.userAdd('alice', b('h'), false), 'UserAlreadyExist');
  rejects(() => store.roleAdd(''), 'RoleEmpty');
  rejects(() => store.roleAdd('app'), 'RoleAlreadyExist');
  rejects(() => store.userGrantRole('bob', 'app'), 'UserNotFound');
  rejects(() => store.userGrantRole('alice', 'nope'), 'RoleNotFound');
  rejects(() => store.userRevokeRole('alice', 'other'), 'RoleNotGranted');
  rejects(() => store.roleRevokePermission('app', b('zzz'), NONE), 'PermissionNotGranted');
  rejects(() => store.roleGrantPermission('app', undefined), 'PermissionNotGiven');
  rejects(() => store.roleGrantPermission('app', { permType: Permission_Type.READ, key: b('b'), rangeEnd: b('a') }), 'InvalidAuthMgmt');
  rejects(() => store.roleGrantPermission('app', { permType: Permission_Type.READ, key: NONE, rangeEnd: NONE }), 'InvalidAuthMgmt');
});

test('checks: revision 0 is "user name is empty", an older revision is stale, grants are exact', () => {
  const { store } = storeWithRootAndAlice();
  store.enable();
  const alice = { username: 'alice', revision: store.revision };
  store.checkAccess(alice, b('app/x'), NONE, 'write');
  store.checkAccess(alice, b('app/'), b('app0'), 'read');
  rejects(() => store.checkAccess(alice, b('app/'), b('b'), 'read'), 'PermissionDenied');
  rejects(() => store.checkAccess(null, b('app/x'), NONE, 'read'), 'UserEmpty');
  rejects(() => store.checkAccess({ username: 'ghost', revision: store.revision }, b('app/x'), NONE, 'read'), 'PermissionDenied');
  store.roleAdd('other');
  rejects(() => store.checkAccess(alice, b('app/x'), NONE, 'read'), 'AuthOldRevision');
  rejects(() => store.checkAdmin(alice), 'PermissionDenied');
  rejects(() => store.checkAdmin({ username: 'ghost', revision: 1 }), 'UserNotFound');
  store.checkAdmin({ username: 'root', revision: 1 });
});

test('state survives a reopen from the backend, in etcd\'s buckets', async () => {
  const { store, backend } = storeWithRootAndAlice();
  store.enable();
  const revision = store.revision;
  const reopened = new AuthStore(backend);
  assert.equal(reopened.enabled, true);
  assert.equal(reopened.revision, revision);
  assert.deepEqual(reopened.userNames(), ['alice', 'root']);
  assert.deepEqual(reopened.user('alice')?.roles, ['app']);
  assert.equal(reopened.role('app')?.keyPermission[0]?.key.toString(), 'app/');
  assert.deepEqual(backend.get('auth', b('authEnabled')), Buffer.from([1]));
  assert.equal(backend.get('auth', b('authRevision'))?.readBigUInt64BE(0), BigInt(revision));
  await backend.close();
});

test('apply time: a put proposed before its grant was revoked is refused as stale; server entries pass', () => {
  const { store } = storeWithRootAndAlice();
  store.enable();
  const tokens = new SimpleTokens(300);
  const applied: string[] = [];
  const apply = authorizingApplier(
    { auth: store, tokens, leaseKeys: () => [], header: () => ({ clusterId: 0n, memberId: 0n, revision: 0n, raftTerm: 0n }) },
    (request) => {
      applied.push(request.op?.$case ?? '');
      return { ok: true, value: null };
    },
  );
  const put = (username: string, revision: number, fromServer = false): LogRequest =>
    LogRequest.fromPartial({ op: { $case: 'put', value: { key: b('app/x'), value: b('v') } }, username, authRevision: BigInt(revision), fromServer });
  const proposedAt = store.revision;
  assert.equal(apply(put('alice', proposedAt), 10).ok, true);
  const revoke = LogRequest.fromPartial({ op: { $case: 'authUserRevokeRole', value: { name: 'alice', role: 'app' } }, username: 'root', authRevision: BigInt(proposedAt) });
  assert.equal(apply(revoke, 11).ok, true);
  const stale = apply(put('alice', proposedAt), 12);
  assert.equal(stale.ok ? 'ok' : code(stale.error), 'AuthOldRevision');
  const current = apply(put('alice', store.revision), 13);
  assert.equal(current.ok ? 'ok' : code(current.error), 'PermissionDenied');
  const byAlice = apply(LogRequest.fromPartial({ op: { $case: 'authRoleAdd', value: { name: 'x' } }, username: 'alice', authRevision: BigInt(store.revision) }), 14);
  assert.equal(byAlice.ok ? 'ok' : code(byAlice.error), 'PermissionDenied');
  assert.equal(apply(put('', 0, true), 15).ok, true);
  assert.deepEqual(applied, ['put', 'put']);
});

test('simple tokens: unknown after the TTL without use, kept alive by use, dropped with their user', () => {
  let nowMs = 0;
  const tokens = new SimpleTokens(10, () => nowMs);
  tokens.setEnabled(true);
  const token = tokens.assign('abcdefghijklmnop', 'alice', 7);
  assert.equal(token, 'abcdefghijklmnop.7');
  nowMs = 9_000;
  assert.equal(tokens.info(token, 3)?.username, 'alice');
  nowMs = 18_000;
  assert.deepEqual(tokens.info(token, 3), { username: 'alice', revision: 3 });
  nowMs = 29_000;
  assert.equal(tokens.info(token, 3), null);
  const second = tokens.assign('qrstuvwxyzabcdef', 'alice', 8);
  tokens.invalidateUser('alice');
  assert.equal(tokens.info(second, 3), null);
});

test('the CN rule: without a token, a verified client certificate names the user (not for gateway requests)', async () => {
  const store = new AuthStore(MemoryBackend.open());
  const withCert = (metadata: Metadata) => ({ metadata, getAuthContext: () => ({ sslPeerCertificate: { subject: { CN: 'alice' } } as never }) });
  assert.equal(commonNameOf(withCert(new Metadata())), 'alice');
  const relayed = new Metadata();
  relayed.set('grpcgateway-accept', 'application/json');
  assert.equal(commonNameOf(withCert(relayed)), undefined);
  const gate = new AuthGate(store, new SimpleTokens(300), true);
  assert.deepEqual(await gate.callerOf(withCert(new Metadata())), { username: 'alice', revision: store.revision });
  assert.equal(await new AuthGate(store, new SimpleTokens(300), false).callerOf(withCert(new Metadata())), null);
  const bad = new Metadata();
  bad.set('token', 'forged.1');
  assert.throws(() => gate.callerOf(withCert(bad)), (error: unknown) => code(error) === 'InvalidAuthToken');
});
