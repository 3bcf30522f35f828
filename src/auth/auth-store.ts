// The auth state machine: users, roles, the enabled flag and the auth revision,
// changed only by the apply loop (each change bumps the revision, as etcd), kept in
// memory for checks and written through to the backend in the apply batch.
import type { Backend } from '../backend/backend.js';
import { EtcdError } from '../errors/etcd-error.js';
import type { Permission, Role, User } from '../generated/authpb/auth.js';
import {
  deleteRole,
  deleteUser,
  readAuthState,
  writeEnabled,
  writeRevision,
  writeRole,
  writeUser,
} from './auth-persistence.js';
import { NO_CALLER, ROOT_ROLE, ROOT_USER, type Caller } from './caller.js';
import { mergePermissions, type UserPermissions } from './range-permissions.js';

export type AccessKind = 'read' | 'write';

/** Told when tokens must die: a user deleted or re-passworded, auth switched on or off. */
export interface TokenKeeper {
  invalidateUser(username: string): void;
  setEnabled(enabled: boolean): void;
}

function byName(a: { name: Buffer }, b: { name: Buffer }): number {
  return Buffer.compare(a.name, b.name);
}

function isValidPermissionRange(key: Buffer, rangeEnd: Buffer): boolean {
  if (key.length === 0) return false;
  if (rangeEnd.length === 0) return true;
  return Buffer.compare(key, rangeEnd) < 0 || rangeEnd[0] === 0;
}

export class AuthStore {
  private users = new Map<string, User>();
  private roles = new Map<string, Role>();
  private enabledFlag = false;
  private currentRevision = 0;
  /** Merged permissions per user, rebuilt lazily; emptied on every auth change. Bounded by the user count. */
  private readonly permissionCache = new Map<string, UserPermissions>();
  private keeper: TokenKeeper | null = null;

  constructor(private readonly backend: Backend) {
    this.reload();
  }

  /** Re-reads everything from the backend (start-up, snapshot install). */
  reload(): void {
    const state = readAuthState(this.backend);
    this.users = new Map(state.users.map((user) => [user.name.toString(), user]));
    this.roles = new Map(state.roles.map((role) => [role.name.toString(), role]));
    this.enabledFlag = state.enabled;
    this.currentRevision = state.revision;
    this.permissionCache.clear();
    this.keeper?.setEnabled(this.enabledFlag);
  }

  attachTokens(keeper: TokenKeeper): void {
    this.keeper = keeper;
    keeper.setEnabled(this.enabledFlag);
  }

  get enabled(): boolean {
    return this.enabledFlag;
  }

  get revision(): number {
    return this.currentRevision;
  }

  // ---- Reads -------------------------------------------------------------------

  user(name: string): User | undefined {
    return this.users.get(name);
  }

  role(name: string): Role | undefined {
    return this.roles.get(name);
  }

  userNames(): string[] {
    return [...this.users.values()].sort(byName).map((user) => user.name.toString());
  }

  roleNames(): string[] {
    return [...this.roles.values()].sort(byName).map((role) => role.name.toString());
  }

  hasRole(username: string, role: string): boolean {
    return this.users.get(username)?.roles.includes(role) ?? false;
  }

  // ---- Checks (etcd's isOpPermitted and IsAdminPermitted) -----------------------

  checkAccess(caller: Caller | null, key: Buffer, rangeEnd: Buffer, kind: AccessKind): void {
    if (!this.enabledFlag) return;
    const who = caller ?? NO_CALLER;
    if (who.revision === 0) throw new EtcdError('UserEmpty');
    if (who.revision < this.currentRevision) throw new EtcdError('AuthOldRevision');
    const user = this.users.get(who.username);
    if (user === undefined) throw new EtcdError('PermissionDenied');
    if (user.roles.includes(ROOT_ROLE)) return;
    const permissions = this.permissionsOf(who.username, user);
    const granted = kind === 'read' ? permissions.read : permissions.write;
    if (!granted.covers(key, rangeEnd)) throw new EtcdError('PermissionDenied');
  }

  /** True when no check can fail for this caller (auth off, or a current root token): loops over keys may skip. */
  isUnrestricted(caller: Caller | null): boolean {
    if (!this.enabledFlag) return true;
    if (caller === null || caller.revision === 0 || caller.revision < this.currentRevision) return false;
    return this.users.get(caller.username)?.roles.includes(ROOT_ROLE) ?? false;
  }

  checkAdmin(caller: Caller | null): void {
    if (!this.enabledFlag) return;
    if (caller === null || caller.username === '') throw new EtcdError('UserEmpty');
    const user = this.users.get(caller.username);
    if (user === undefined) throw new EtcdError('UserNotFound');
    if (!user.roles.includes(ROOT_ROLE)) throw new EtcdError('PermissionDenied');
  }

  private permissionsOf(name: string, user: User): UserPermissions {
    let cached = this.permissionCache.get(name);
    if (cached === undefined) {
      const grants: Permission[] = [];
      for (const roleName of user.roles) grants.push(...(this.roles.get(roleName)?.keyPermission ?? []));
      cached = mergePermissions(grants);
      this.permissionCache.set(name, cached);
    }
    return cached;
  }

  // ---- Changes, from the apply loop ----------------------------------------------

  enable(): void {
    if (this.enabledFlag) return;
    const root = this.users.get(ROOT_USER);
    if (root === undefined) throw new EtcdError('RootUserNotExist');
    if (!root.roles.includes(ROOT_ROLE)) throw new EtcdError('RootRoleNotExist');
    writeEnabled(this.backend, true);
    this.enabledFlag = true;
    this.permissionCache.clear();
    this.keeper?.setEnabled(true);
  }

  disable(): void {
    if (!this.enabledFlag) return;
    writeEnabled(this.backend, false);
    this.enabledFlag = false;
    this.commitRevision();
    this.keeper?.setEnabled(false);
  }

  /** `password` is the bcrypt hash (empty for a user without password). */
  userAdd(name: string, password: Buffer, noPassword: boolean): void {
    if (name.length === 0) throw new EtcdError('UserEmpty');
    if (this.users.has(name)) throw new EtcdError('UserAlreadyExist');
    this.putUser({ name: Buffer.from(name), password: noPassword ? Buffer.alloc(0) : password, roles: [], options: { noPassword } });
  }

  userDelete(name: string): void {
    if (this.enabledFlag && name === ROOT_USER) throw new EtcdError('InvalidAuthMgmt');
    if (!this.users.has(name)) throw new EtcdError('UserNotFound');
    deleteUser(this.backend, name);
    this.users.delete(name);
    this.commitRevision();
    this.keeper?.invalidateUser(name);
  }

  userChangePassword(name: string, password: Buffer): void {
    const user = this.users.get(name);
    if (user === undefined) throw new EtcdError('UserNotFound');
    this.putUser({ ...user, password });
    this.keeper?.invalidateUser(name);
  }

  userGrantRole(name: string, role: string): void {
    const user = this.users.get(name);
    if (user === undefined) throw new EtcdError('UserNotFound');
    if (role !== ROOT_ROLE && !this.roles.has(role)) throw new EtcdError('RoleNotFound');
    if (user.roles.includes(role)) return;
    this.putUser({ ...user, roles: [...user.roles, role].sort() });
  }

  userRevokeRole(name: string, role: string): void {
    if (this.enabledFlag && name === ROOT_USER && role === ROOT_ROLE) throw new EtcdError('InvalidAuthMgmt');
    const user = this.users.get(name);
    if (user === undefined) throw new EtcdError('UserNotFound');
    if (!user.roles.includes(role)) throw new EtcdError('RoleNotGranted');
    this.putUser({ ...user, roles: user.roles.filter((granted) => granted !== role) });
  }

  roleAdd(name: string): void {
    if (name.length === 0) throw new EtcdError('RoleEmpty');
    if (this.roles.has(name)) throw new EtcdError('RoleAlreadyExist');
    this.putRole({ name: Buffer.from(name), keyPermission: [] });
  }

  roleDelete(name: string): void {
    if (this.enabledFlag && name === ROOT_ROLE) throw new EtcdError('InvalidAuthMgmt');
    if (!this.roles.has(name)) throw new EtcdError('RoleNotFound');
    deleteRole(this.backend, name);
    this.roles.delete(name);
    for (const user of this.users.values()) {
      if (!user.roles.includes(name)) continue;
      const updated = { ...user, roles: user.roles.filter((granted) => granted !== name) };
      writeUser(this.backend, updated);
      this.users.set(user.name.toString(), updated);
    }
    this.commitRevision();
  }

  roleGrantPermission(name: string, perm: Permission | undefined): void {
    const role = this.roles.get(name);
    if (role === undefined) throw new EtcdError('RoleNotFound');
    if (perm === undefined) throw new EtcdError('PermissionNotGiven');
    if (!isValidPermissionRange(perm.key, perm.rangeEnd)) throw new EtcdError('InvalidAuthMgmt');
    const same = role.keyPermission.findIndex((held) => held.key.equals(perm.key) && held.rangeEnd.equals(perm.rangeEnd));
    const keyPermission = [...role.keyPermission];
    if (same >= 0) keyPermission[same] = { ...(keyPermission[same] as Permission), permType: perm.permType };
    else keyPermission.push({ permType: perm.permType, key: perm.key, rangeEnd: perm.rangeEnd });
    keyPermission.sort((a, b) => Buffer.compare(a.key, b.key));
    this.putRole({ ...role, keyPermission });
  }

  roleRevokePermission(name: string, key: Buffer, rangeEnd: Buffer): void {
    const role = this.roles.get(name);
    if (role === undefined) throw new EtcdError('RoleNotFound');
    const kept = role.keyPermission.filter((held) => !held.key.equals(key) || !held.rangeEnd.equals(rangeEnd));
    if (kept.length === role.keyPermission.length) throw new EtcdError('PermissionNotGranted');
    this.putRole({ ...role, keyPermission: kept });
  }

  private putUser(user: User): void {
    writeUser(this.backend, user);
    this.users.set(user.name.toString(), user);
    this.commitRevision();
  }

  private putRole(role: Role): void {
    writeRole(this.backend, role);
    this.roles.set(role.name.toString(), role);
    this.commitRevision();
  }

  private commitRevision(): void {
    this.currentRevision++;
    writeRevision(this.backend, this.currentRevision);
    this.permissionCache.clear();
  }
}
