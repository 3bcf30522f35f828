// Questions about a txn's shape that the server asks before proposing it.
import type { RequestOp, TxnRequest } from '../generated/etcdserverpb/rpc.js';

function someOp(request: TxnRequest, predicate: (op: RequestOp) => boolean): boolean {
  for (const op of [...request.success, ...request.failure]) {
    if (predicate(op)) return true;
    const inner = op.request;
    if (inner?.$case === 'requestTxn' && someOp(inner.value, predicate)) return true;
  }
  return false;
}

/** etcd refuses a txn with any put (in either branch) while the NOSPACE alarm is raised. */
export function txnHasPut(request: TxnRequest): boolean {
  return someOp(request, (op) => op.request?.$case === 'requestPut');
}

/** A read-only txn may skip the ReadIndex round only when every range in it is serializable. */
export function txnIsSerializable(request: TxnRequest): boolean {
  return !someOp(request, (op) => op.request?.$case === 'requestRange' && !op.request.value.serializable);
}
