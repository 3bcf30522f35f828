// The KV applier's public surface: edge validation and request semantics over the
// MVCC views, for the API layer and the apply loop.
export { applyDeleteRange } from './apply-delete-range.js';
export { applyPut } from './apply-put.js';
export { applyRange } from './apply-range.js';
export { applyReadOnlyTxn, applyTxn, isTxnReadOnly } from './apply-txn.js';
export { checkIntervals } from './check-intervals.js';
export type { LeaseAttachments, LeaseLookup } from './lease-hooks.js';
export { NO_LEASE } from './lease-hooks.js';
export {
  checkDeleteRequest,
  checkPutRequest,
  checkRangeRequest,
  checkTxnRequest,
} from './validate-request.js';
