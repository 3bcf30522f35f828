// The sequential specification one key must follow: a register that holds a
// value or is absent. Each operation either fits the current state or does not.

import type { KvOperation, KvValue } from './kv-history.js';

/** The state after `op`, or undefined when `op` could not have answered as it did here. */
export function stepRegister(state: KvValue, op: KvOperation): KvValue | undefined {
  switch (op.kind) {
    case 'read':
      // A pending read constrains nothing; the checker drops those before searching.
      if (op.output === null) return state;
      return op.output.value === state ? state : undefined;
    case 'write':
      return op.input.value;
    case 'cas': {
      const matches = state === op.input.expected;
      // Unknown outcome: it did whatever the register made it do at this point.
      if (op.output === null) return matches ? op.input.value : state;
      if (op.output.ok !== matches) return undefined;
      return matches ? op.input.value : state;
    }
    case 'delete':
      if (op.output !== null && op.output.existed !== (state !== null)) return undefined;
      return null;
  }
}
