// Decides a txn's path before anything is written: which branch each (nested) txn
// takes. etcd evaluates every compare, nested ones included, against the state
// before the txn, so a nested compare does not see writes of its enclosing txn.
import type {
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RequestOp,
  TxnRequest,
} from '../generated/etcdserverpb/rpc.js';
import type { ReadView } from '../mvcc/kv-view.js';
import { compareAll } from './txn-compare.js';

export interface TxnPlan {
  readonly succeeded: boolean;
  /** The ops of the chosen branch, in the order they run. */
  readonly ops: readonly RequestOp[];
  /** For each op that is a nested txn, the plan of that txn; otherwise undefined. */
  readonly nested: readonly (TxnPlan | undefined)[];
}

/** A planned op that is not itself a txn. */
export type PlannedLeafOp =
  | { readonly $case: 'requestRange'; readonly value: RangeRequest }
  | { readonly $case: 'requestPut'; readonly value: PutRequest }
  | { readonly $case: 'requestDeleteRange'; readonly value: DeleteRangeRequest };

export function planTxn(view: ReadView, req: TxnRequest): TxnPlan {
  const succeeded = compareAll(view, req.compare);
  const ops = succeeded ? req.success : req.failure;
  const nested = ops.map((op) =>
    op.request?.$case === 'requestTxn' ? planTxn(view, op.request.value) : undefined,
  );
  return { succeeded, ops, nested };
}

/** Visits every non-txn op the plan will run, depth first, in execution order. */
export function forEachPlannedOp(plan: TxnPlan, visit: (op: PlannedLeafOp) => void): void {
  plan.ops.forEach((op, index) => {
    const request = op.request;
    if (request === undefined) return;
    if (request.$case !== 'requestTxn') {
      visit(request);
      return;
    }
    const nested = plan.nested[index];
    if (nested !== undefined) forEachPlannedOp(nested, visit);
  });
}
