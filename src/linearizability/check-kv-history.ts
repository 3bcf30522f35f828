// Checks a whole key-value history for linearizability one key at a time
// (P-compositionality: a register history is linearizable iff each key's is).

import { assertWellFormed, isPending, type KvOperation } from './kv-history.js';
import { explainFailure, type FailureExplanation } from './explain-failure.js';
import { searchRegister } from './search-register.js';

/** Search steps for a whole history before the answer becomes "unknown". */
export const DEFAULT_SEARCH_STEPS_MAX = 10_000_000;

export interface CheckOptions {
  /** Search steps for the whole history, shared by its keys (memory is capped apart: MEMO_ENTRIES_MAX per key). */
  readonly searchStepsMax?: number;
  /**
   * Whether to narrow a violation down to its shortest failing prefix (default
   * true). That costs a few more searches; a bulk run that only counts anomalies can skip it.
   */
  readonly explain?: boolean;
}

export type CheckResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly key: string; readonly explanation: FailureExplanation }
  | { readonly ok: 'unknown'; readonly reason: 'budget'; readonly key: string };

/**
 * Every key starts absent. A key proven non-linearizable is reported even when
 * another key ran out of budget: one real anomaly is an answer.
 */
export function checkKvHistory(history: readonly KvOperation[], options: CheckOptions = {}): CheckResult {
  const stepsMax = options.searchStepsMax ?? DEFAULT_SEARCH_STEPS_MAX;
  const byKey = new Map<string, KvOperation[]>();
  for (const op of history) {
    assertWellFormed(op);
    // A read that never answered observed nothing anyone saw.
    if (op.kind === 'read' && isPending(op)) continue;
    const ops = byKey.get(op.key);
    if (ops === undefined) byKey.set(op.key, [op]);
    else ops.push(op);
  }
  let stepsLeft = stepsMax;
  let outOfBudget: string | undefined;
  for (const key of [...byKey.keys()].sort()) {
    const ops = (byKey.get(key) ?? []).sort((a, b) => a.invokeTimeNs - b.invokeTimeNs);
    const outcome = searchRegister(ops, null, Math.max(stepsLeft, 0));
    stepsLeft -= outcome.steps;
    switch (outcome.kind) {
      case 'linearizable':
        break;
      case 'budget':
        outOfBudget ??= key;
        break;
      case 'violation': {
        // Each probe gets what the whole search needed, twice over: enough for any prefix in practice.
        const probeStepsMax = options.explain === false ? 0 : Math.min(stepsMax, 2 * outcome.steps);
        return { ok: false, key, explanation: explainFailure(ops, outcome.longest, probeStepsMax) };
      }
    }
  }
  return outOfBudget === undefined ? { ok: true } : { ok: 'unknown', reason: 'budget', key: outOfBudget };
}
