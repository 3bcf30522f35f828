// Whether a watch may be created (read permission on its range), and if not, the
// cancel reason etcd puts in the created+canceled answer: the gRPC error's full text.
import { isEtcdError } from '../errors/etcd-error.js';
import { ERROR_TABLE } from '../errors/error-table.js';
import type { AuthStore } from './auth-store.js';
import type { Caller } from './caller.js';

/** gRPC-Go's name of each status code a refusal can carry, as its error text spells it. */
const GO_CODE_NAMES: Readonly<Record<number, string>> = { 3: 'InvalidArgument', 7: 'PermissionDenied', 16: 'Unauthenticated' };

/** The text of a gRPC-Go status error, which is what etcd sends as a watch's cancel reason. */
export function goStatusText(error: unknown): string {
  const mapped = isEtcdError(error) && ['InvalidAuthToken', 'AuthOldRevision', 'UserEmpty'].includes(error.code) ? ERROR_TABLE[error.code] : ERROR_TABLE.PermissionDenied;
  return `rpc error: code = ${GO_CODE_NAMES[mapped.code] ?? 'Unknown'} desc = ${mapped.message}`;
}

/** undefined when the watch may be created; otherwise the cancel reason. */
export function watchRefusal(auth: AuthStore, caller: Caller | null, key: Buffer, rangeEnd: Buffer): string | undefined {
  try {
    auth.checkAccess(caller, key, rangeEnd, 'read');
    return undefined;
  } catch (error) {
    return goStatusText(error);
  }
}
