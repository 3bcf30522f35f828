// The Auth API for administrators: enable/disable auth, users, roles and permissions.
// (Logging in is automatic: the client authenticates with its `auth` option.)
import { AuthService, AuthUserAddRequest } from '../generated/etcdserverpb/rpc.js';
import { Permission_Type } from '../generated/authpb/auth.js';
import { toBuffer, type Bytes } from './bytes.js';
import type { CallOptions } from './client-options.js';
import { rangeEndFor, type KeySelector } from './kv-requests.js';
import type { RpcCaller } from './rpc-caller.js';

export type PermissionType = 'read' | 'write' | 'readwrite';

const PERMISSION_TYPES: Record<PermissionType, Permission_Type> = {
  read: Permission_Type.READ,
  write: Permission_Type.WRITE,
  readwrite: Permission_Type.READWRITE,
};

export class AuthClient {
  constructor(private readonly rpc: RpcCaller) {}

  async status(options?: CallOptions): Promise<{ enabled: boolean; authRevision: bigint }> {
    const response = await this.rpc.unary(AuthService.authStatus, {}, 'idempotent', options);
    return { enabled: response.enabled, authRevision: response.authRevision };
  }

  async enable(options?: CallOptions): Promise<void> {
    await this.rpc.unary(AuthService.authEnable, {}, 'idempotent', options);
  }

  async disable(options?: CallOptions): Promise<void> {
    await this.rpc.unary(AuthService.authDisable, {}, 'idempotent', options);
  }

  async userAdd(name: string, password: string, options?: CallOptions): Promise<void> {
    const request = AuthUserAddRequest.fromPartial({ name, password, options: { noPassword: false } });
    await this.rpc.unary(AuthService.userAdd, request, 'at-most-once', options);
  }

  async userDelete(name: string, options?: CallOptions): Promise<void> {
    await this.rpc.unary(AuthService.userDelete, { name }, 'at-most-once', options);
  }

  async userChangePassword(name: string, password: string, options?: CallOptions): Promise<void> {
    await this.rpc.unary(AuthService.userChangePassword, { name, password, hashedPassword: '' }, 'idempotent', options);
  }

  async userGrantRole(user: string, role: string, options?: CallOptions): Promise<void> {
    await this.rpc.unary(AuthService.userGrantRole, { user, role }, 'idempotent', options);
  }

  async userRevokeRole(user: string, role: string, options?: CallOptions): Promise<void> {
    await this.rpc.unary(AuthService.userRevokeRole, { name: user, role }, 'idempotent', options);
  }

  async userGet(name: string, options?: CallOptions): Promise<{ roles: string[] }> {
    return { roles: (await this.rpc.unary(AuthService.userGet, { name }, 'idempotent', options)).roles };
  }

  async roleList(options?: CallOptions): Promise<string[]> {
    return (await this.rpc.unary(AuthService.roleList, {}, 'idempotent', options)).roles;
  }

  async roleDelete(role: string, options?: CallOptions): Promise<void> {
    await this.rpc.unary(AuthService.roleDelete, { role }, 'at-most-once', options);
  }

  async roleRevokePermission(role: string, key: Bytes, range: KeySelector = {}, options?: CallOptions): Promise<void> {
    const keyBuffer = toBuffer(key);
    await this.rpc.unary(AuthService.roleRevokePermission, { role, key: keyBuffer, rangeEnd: rangeEndFor(keyBuffer, range) }, 'at-most-once', options);
  }

  async userList(options?: CallOptions): Promise<string[]> {
    return (await this.rpc.unary(AuthService.userList, {}, 'idempotent', options)).users;
  }

  async roleAdd(name: string, options?: CallOptions): Promise<void> {
    await this.rpc.unary(AuthService.roleAdd, { name }, 'at-most-once', options);
  }

  async roleGrantPermission(role: string, type: PermissionType, key: Bytes, range: KeySelector = {}, options?: CallOptions): Promise<void> {
    const keyBuffer = toBuffer(key);
    const perm = { permType: PERMISSION_TYPES[type], key: keyBuffer, rangeEnd: rangeEndFor(keyBuffer, range) };
    await this.rpc.unary(AuthService.roleGrantPermission, { name: role, perm }, 'idempotent', options);
  }
}
