// The linearizability checker's public surface: histories of register operations
// per key in, "linearizable", "not, and why" or "ran out of budget" out.

export {
  checkKvHistory, DEFAULT_SEARCH_STEPS_MAX, type CheckOptions, type CheckResult,
} from './check-kv-history.js';
export { EXPLANATION_OPS_MAX, type FailureExplanation } from './explain-failure.js';
export {
  describeOperation, isPending,
  type CasOperation, type DeleteOperation, type KvOperation, type KvValue, type ReadOperation, type WriteOperation,
} from './kv-history.js';
export { stepRegister } from './register-model.js';
export { MEMO_ENTRIES_MAX } from './search-register.js';
