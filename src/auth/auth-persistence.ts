// The auth state on disk, in etcd's buckets and encodings so bbolt snapshots carry
// it both ways: `auth` holds authEnabled (one byte) and authRevision (8 bytes, big
// endian); `authUsers` and `authRoles` map names to authpb.User / authpb.Role.
import type { Backend } from '../backend/backend.js';
import { Role, User } from '../generated/authpb/auth.js';

const ENABLED_KEY = Buffer.from('authEnabled');
const REVISION_KEY = Buffer.from('authRevision');
const ENABLED = Buffer.from([1]);
const DISABLED = Buffer.from([0]);
/** etcd starts a fresh store at auth revision 1. */
export const INITIAL_AUTH_REVISION = 1;

export interface AuthSnapshot {
  readonly enabled: boolean;
  readonly revision: number;
  readonly users: User[];
  readonly roles: Role[];
}

/** Users and roles are few (an administrator creates each), so a full read is bounded in practice. */
export function readAuthState(backend: Backend): AuthSnapshot {
  const enabledValue = backend.get('auth', ENABLED_KEY);
  const revisionValue = backend.get('auth', REVISION_KEY);
  const revision = revisionValue !== undefined && revisionValue.length === 8 ? Number(revisionValue.readBigUInt64BE(0)) : INITIAL_AUTH_REVISION;
  return {
    enabled: enabledValue !== undefined && enabledValue.length === 1 && enabledValue[0] === 1,
    revision,
    users: backend.range('authUsers', Buffer.alloc(0), undefined, 0).map((entry) => User.decode(entry.value)),
    roles: backend.range('authRoles', Buffer.alloc(0), undefined, 0).map((entry) => Role.decode(entry.value)),
  };
}

export function writeEnabled(backend: Backend, enabled: boolean): void {
  backend.put('auth', ENABLED_KEY, enabled ? ENABLED : DISABLED);
}

export function writeRevision(backend: Backend, revision: number): void {
  const value = Buffer.alloc(8);
  value.writeBigUInt64BE(BigInt(revision));
  backend.put('auth', REVISION_KEY, value);
}

export function writeUser(backend: Backend, user: User): void {
  backend.put('authUsers', user.name, Buffer.from(User.encode(user).finish()));
}

export function deleteUser(backend: Backend, name: string): void {
  backend.delete('authUsers', Buffer.from(name));
}

export function writeRole(backend: Backend, role: Role): void {
  backend.put('authRoles', role.name, Buffer.from(Role.encode(role).finish()));
}

export function deleteRole(backend: Backend, name: string): void {
  backend.delete('authRoles', Buffer.from(name));
}
