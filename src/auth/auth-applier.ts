// The auth wrapper around the apply loop's one applier (etcd's authApplierV3): auth
// management entries need root; KV and lease-revoke entries are checked as the user
// who proposed them, at the auth revision they were proposed at; then the inner
// applier runs. With auth disabled it only passes entries through.
import { EtcdError, isEtcdError } from '../errors/etcd-error.js';
import type { ResponseHeader } from '../generated/etcdserverpb/rpc.js';
import type { LogRequest } from '../generated/internalpb/internal.js';
import type { AuthStore } from './auth-store.js';
import type { Caller } from './caller.js';
import { checkDeleteRange, checkLeaseWrites, checkPut, checkTxn, type LeaseKeys } from './request-permissions.js';
import type { TokenProvider } from './token-provider.js';

export type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: Error };
export type EntryApplier = (request: LogRequest) => Outcome;

export interface AuthApplyDeps {
  readonly auth: AuthStore;
  readonly tokens: TokenProvider;
  readonly leaseKeys: LeaseKeys;
  header(): ResponseHeader;
}

type Op = NonNullable<LogRequest['op']>;

function callerOf(request: LogRequest): Caller {
  return { username: request.username, revision: Number(request.authRevision) };
}

/** Checks a KV or lease entry; throws etcd's error when the proposer may not do it. */
function checkEntry(deps: AuthApplyDeps, caller: Caller, op: Op): void {
  switch (op.$case) {
    case 'put':
      return checkPut(deps.auth, caller, op.value, deps.leaseKeys);
    case 'deleteRange':
      return checkDeleteRange(deps.auth, caller, op.value);
    case 'txn':
      return checkTxn(deps.auth, caller, op.value, deps.leaseKeys);
    case 'leaseRevoke':
      return checkLeaseWrites(deps.auth, caller, op.value.ID, deps.leaseKeys);
    default:
      return;
  }
}

/** Applies an auth management entry; undefined when the entry is not one. */
function applyAuthOp(deps: AuthApplyDeps, op: Op, index: number): { header: ResponseHeader; token?: string } | undefined {
  const auth = deps.auth;
  switch (op.$case) {
    case 'authEnable':
      auth.enable();
      break;
    case 'authDisable':
      auth.disable();
      break;
    case 'authenticate': {
      if (!auth.enabled) throw new EtcdError('AuthNotEnabled');
      const user = auth.user(op.value.name);
      if (user === undefined || user.options?.noPassword === true) throw new EtcdError('AuthFailed');
      return { header: deps.header(), token: deps.tokens.assign(op.value.simpleToken, op.value.name, index) };
    }
    case 'authUserAdd':
      auth.userAdd(op.value.name, Buffer.from(op.value.hashedPassword, 'latin1'), op.value.options?.noPassword ?? false);
      break;
    case 'authUserDelete':
      auth.userDelete(op.value.name);
      break;
    case 'authUserChangePassword':
      auth.userChangePassword(op.value.name, Buffer.from(op.value.hashedPassword, 'latin1'));
      break;
    case 'authUserGrantRole':
      auth.userGrantRole(op.value.user, op.value.role);
      break;
    case 'authUserRevokeRole':
      auth.userRevokeRole(op.value.name, op.value.role);
      break;
    case 'authRoleAdd':
      auth.roleAdd(op.value.name);
      break;
    case 'authRoleDelete':
      auth.roleDelete(op.value.role);
      break;
    case 'authRoleGrantPermission':
      auth.roleGrantPermission(op.value.name, op.value.perm);
      break;
    case 'authRoleRevokePermission':
      auth.roleRevokePermission(op.value.role, op.value.key, op.value.rangeEnd);
      break;
    default:
      return undefined;
  }
  return { header: deps.header() };
}

export function authorizingApplier(deps: AuthApplyDeps, inner: EntryApplier): (request: LogRequest, index: number) => Outcome {
  return (request, index) => {
    const op = request.op;
    if (op === undefined) return inner(request);
    try {
      const caller = callerOf(request);
      const isAuthOp = op.$case.startsWith('auth');
      // Logging in is open; every other auth change needs root.
      if (isAuthOp && op.$case !== 'authenticate' && !request.fromServer) deps.auth.checkAdmin(caller);
      const applied = isAuthOp ? applyAuthOp(deps, op, index) : undefined;
      if (applied !== undefined) return { ok: true, value: applied };
      if (deps.auth.enabled && !request.fromServer) checkEntry(deps, caller, op);
    } catch (error) {
      if (isEtcdError(error)) return { ok: false, error };
      throw error;
    }
    return inner(request);
  };
}
