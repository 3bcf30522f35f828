// The Auth service (etcdserverpb.Auth). Changes and logins go through the log as the
// caller (the apply loop checks root); passwords are hashed, and checked, here with
// bcrypt off the event loop, so the log never holds one. Lists and gets are answered
// from this member's auth store after a linearizable barrier.
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { CallCredentials } from '../../auth/auth-gate.js';
import type { Caller } from '../../auth/caller.js';
import type { GuardedServer } from '../../auth/guarded-server.js';
import { effectiveBcryptCost, hashPassword, isBcryptHash, passwordMatches } from '../../auth/passwords.js';
import { EtcdError } from '../../errors/etcd-error.js';
import type * as rpc from '../../generated/etcdserverpb/rpc.js';
import type { LogRequest } from '../../generated/internalpb/internal.js';
import type { Logger } from '../../log/logger.js';
import type { EtcdServer } from '../../server/etcd-server.js';
import { unary } from './unary-handler.js';

/** A login retries while the auth store changes under its password check; etcd loops, this bounds it. */
const AUTHENTICATE_ATTEMPTS_MAX = 16;

type Op = NonNullable<LogRequest['op']>;
type HeaderOnly = { header: rpc.ResponseHeader | undefined };

interface AuthDeps {
  readonly server: EtcdServer;
  readonly guard: GuardedServer;
  readonly bcryptCost: number;
}

async function propose(deps: AuthDeps, op: Op, call: CallCredentials): Promise<HeaderOnly> {
  const caller = await deps.guard.gate.callerOf(call);
  const result = (await deps.server.proposeAuth(op, caller)) as HeaderOnly;
  return { header: result.header };
}

/** The stored hash for a new password: a client-made bcrypt hash as given, else one made here. */
async function passwordHash(deps: AuthDeps, password: string, hashedPassword: string): Promise<string> {
  if (hashedPassword !== '') {
    if (!isBcryptHash(hashedPassword)) throw new EtcdError('AuthFailed', 'hashed password is not a bcrypt hash');
    return hashedPassword;
  }
  return (await hashPassword(password, deps.bcryptCost)).toString('latin1');
}

async function authenticate(deps: AuthDeps, request: rpc.AuthenticateRequest): Promise<rpc.AuthenticateResponse> {
  const { server } = deps;
  await server.readBarrier();
  for (let attempt = 0; attempt < AUTHENTICATE_ATTEMPTS_MAX; attempt++) {
    const auth = server.auth;
    if (!auth.enabled) throw new EtcdError('AuthNotEnabled');
    const user = auth.user(request.name);
    if (user === undefined) throw new EtcdError('AuthFailed');
    if (user.options?.noPassword === true) throw new EtcdError('NoPasswordUser');
    const checkedRevision = auth.revision;
    if (!(await passwordMatches(request.password, user.password))) throw new EtcdError('AuthFailed');
    const prepared = await server.tokens.prepare(request.name, checkedRevision);
    const op: Op = { $case: 'authenticate', value: { name: request.name, simpleToken: prepared.logPart } };
    const applied = (await server.proposeAuth(op, null)) as { header: rpc.ResponseHeader; token: string };
    // The password was checked at one auth revision: if anything changed since, check again (as etcd).
    if (checkedRevision === server.auth.revision) return { header: applied.header, token: prepared.token ?? applied.token };
  }
  throw new EtcdError('AuthOldRevision');
}

/** Root, or (for reading one's own user or role) the user concerned, as etcd's UserGet and RoleGet. */
function checkAdminOr(deps: AuthDeps, caller: Caller | null, allowed: (caller: Caller) => boolean): void {
  try {
    deps.guard.checkAdmin(caller);
  } catch (error) {
    if (caller === null || !allowed(caller)) throw error;
  }
}

function management(deps: AuthDeps, logger: Logger): UntypedServiceImplementation {
  const change = <Req>(method: string, toOp: (request: Req) => Op) =>
    unary<Req, HeaderOnly>(logger, method, async (request, call) => propose(deps, toOp(request), call));
  return {
    authEnable: change<rpc.AuthEnableRequest>('AuthEnable', (value) => ({ $case: 'authEnable', value })),
    authDisable: change<rpc.AuthDisableRequest>('AuthDisable', (value) => ({ $case: 'authDisable', value })),
    userDelete: change<rpc.AuthUserDeleteRequest>('UserDelete', (value) => ({ $case: 'authUserDelete', value })),
    userGrantRole: change<rpc.AuthUserGrantRoleRequest>('UserGrantRole', (value) => ({ $case: 'authUserGrantRole', value })),
    userRevokeRole: change<rpc.AuthUserRevokeRoleRequest>('UserRevokeRole', (value) => ({ $case: 'authUserRevokeRole', value })),
    roleAdd: change<rpc.AuthRoleAddRequest>('RoleAdd', (value) => ({ $case: 'authRoleAdd', value })),
    roleDelete: change<rpc.AuthRoleDeleteRequest>('RoleDelete', (value) => ({ $case: 'authRoleDelete', value })),
    roleGrantPermission: change<rpc.AuthRoleGrantPermissionRequest>('RoleGrantPermission', (value) => ({ $case: 'authRoleGrantPermission', value })),
    roleRevokePermission: change<rpc.AuthRoleRevokePermissionRequest>('RoleRevokePermission', (value) => ({
      $case: 'authRoleRevokePermission',
      value,
    })),
    userAdd: unary<rpc.AuthUserAddRequest, HeaderOnly>(logger, 'UserAdd', async (request, call) => {
      if (request.name === '') throw new EtcdError('UserEmpty');
      const noPassword = request.options?.noPassword ?? false;
      const hashedPassword = noPassword ? '' : await passwordHash(deps, request.password, request.hashedPassword);
      const value = { name: request.name, password: '', options: { noPassword }, hashedPassword };
      return propose(deps, { $case: 'authUserAdd', value }, call);
    }),
    userChangePassword: unary<rpc.AuthUserChangePasswordRequest, HeaderOnly>(logger, 'UserChangePassword', async (request, call) => {
      const hashedPassword = await passwordHash(deps, request.password, request.hashedPassword);
      return propose(deps, { $case: 'authUserChangePassword', value: { name: request.name, password: '', hashedPassword } }, call);
    }),
  };
}

function reads(deps: AuthDeps, logger: Logger): UntypedServiceImplementation {
  const { server, guard } = deps;
  return {
    authStatus: unary<rpc.AuthStatusRequest, rpc.AuthStatusResponse>(logger, 'AuthStatus', async () => {
      await server.readBarrier();
      return { header: server.header(), enabled: server.auth.enabled, authRevision: BigInt(server.auth.revision) };
    }),
    userGet: unary<rpc.AuthUserGetRequest, rpc.AuthUserGetResponse>(logger, 'UserGet', async (request, call) => {
      await server.readBarrier();
      checkAdminOr(deps, await guard.gate.callerOf(call), (caller) => caller.username === request.name);
      const user = server.auth.user(request.name);
      if (user === undefined) throw new EtcdError('UserNotFound');
      return { header: server.header(), roles: [...user.roles] };
    }),
    userList: unary<rpc.AuthUserListRequest, rpc.AuthUserListResponse>(logger, 'UserList', async (_request, call) => {
      await server.readBarrier();
      guard.checkAdmin(await guard.gate.callerOf(call));
      return { header: server.header(), users: server.auth.userNames() };
    }),
    roleGet: unary<rpc.AuthRoleGetRequest, rpc.AuthRoleGetResponse>(logger, 'RoleGet', async (request, call) => {
      await server.readBarrier();
      checkAdminOr(deps, await guard.gate.callerOf(call), (caller) => server.auth.hasRole(caller.username, request.role));
      const role = server.auth.role(request.role);
      if (role === undefined) throw new EtcdError('RoleNotFound');
      return { header: server.header(), perm: [...role.keyPermission] };
    }),
    roleList: unary<rpc.AuthRoleListRequest, rpc.AuthRoleListResponse>(logger, 'RoleList', async (_request, call) => {
      await server.readBarrier();
      guard.checkAdmin(await guard.gate.callerOf(call));
      return { header: server.header(), roles: server.auth.roleNames() };
    }),
  };
}

export function authServiceImplementation(server: EtcdServer, logger: Logger, guard: GuardedServer, bcryptCost: number): UntypedServiceImplementation {
  const deps: AuthDeps = { server, guard, bcryptCost: effectiveBcryptCost(bcryptCost) };
  return {
    ...management(deps, logger),
    ...reads(deps, logger),
    authenticate: unary<rpc.AuthenticateRequest, rpc.AuthenticateResponse>(logger, 'Authenticate', (request) => authenticate(deps, request)),
  };
}
