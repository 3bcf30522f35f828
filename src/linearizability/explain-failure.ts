// Turns "this key's history is not linearizable" into something a person can
// read: the shortest failing prefix of the history and the operations in it.

import { describeOperation, type KvOperation } from './kv-history.js';
import { searchRegister } from './search-register.js';

/** Operations of the failing prefix shown in an explanation; older ones are summarized. */
export const EXPLANATION_OPS_MAX = 24;

export interface FailureExplanation {
  /** The completed operation whose answer no legal order of the prefix can explain. */
  readonly culprit: KvOperation;
  /** The shortest failing prefix: every operation invoked before the culprit returned (newest last, trimmed). */
  readonly prefix: readonly KvOperation[];
  /** How many older operations of the prefix were left out of `prefix`. */
  readonly prefixOmitted: number;
  /** False when no probing was allowed: `prefix` is then the whole history, not the shortest failing one. */
  readonly narrowed: boolean;
  /** The longest legal order of the full history's operations that the search found. */
  readonly longestLinearization: readonly KvOperation[];
  readonly text: string;
}

/**
 * The history cut at time t: what had been invoked by then, with answers that
 * came later forgotten (such operations become pending). Pending reads say nothing.
 */
export function prefixAt(ops: readonly KvOperation[], cutTimeNs: number): KvOperation[] {
  const out: KvOperation[] = [];
  for (const op of ops) {
    if (op.invokeTimeNs > cutTimeNs) continue;
    if (op.returnTimeNs !== null && op.returnTimeNs <= cutTimeNs) {
      out.push(op);
    } else if (op.kind !== 'read') {
      out.push({ ...op, returnTimeNs: null, output: null } as KvOperation);
    }
  }
  return out;
}

/**
 * Binary search over return times for the earliest cut that already fails; a
 * prefix that runs out of budget counts as passing, so the answer always fails.
 */
export function explainFailure(
  ops: readonly KvOperation[],
  longest: readonly number[],
  stepsMaxPerProbe: number,
): FailureExplanation {
  const returned = ops.filter((op) => op.returnTimeNs !== null).sort((a, b) => (a.returnTimeNs ?? 0) - (b.returnTimeNs ?? 0));
  const narrowed = stepsMaxPerProbe > 0;
  let lo = narrowed ? 0 : returned.length - 1;
  let hi = returned.length - 1;
  // Invariant: the cut at returned[hi] fails; cuts before returned[lo] pass or are unknown.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const cut = (returned[mid] as KvOperation).returnTimeNs ?? 0;
    const outcome = searchRegister(prefixAt(ops, cut), null, stepsMaxPerProbe);
    if (outcome.kind === 'violation') hi = mid;
    else lo = mid + 1;
  }
  const culprit = returned[hi] as KvOperation;
  const prefixAll = prefixAt(ops, culprit.returnTimeNs ?? 0).sort((a, b) => a.invokeTimeNs - b.invokeTimeNs);
  const prefix = prefixAll.slice(-EXPLANATION_OPS_MAX);
  const longestLinearization = longest.map((i) => ops[i] as KvOperation);
  return {
    culprit, prefix, prefixOmitted: prefixAll.length - prefix.length, narrowed, longestLinearization,
    text: explanationText(culprit, prefix, prefixAll.length - prefix.length, narrowed),
  };
}

function explanationText(
  culprit: KvOperation, prefix: readonly KvOperation[], omitted: number, narrowed: boolean,
): string {
  const lines = narrowed ? [
    `no legal order explains: ${describeOperation(culprit)}`,
    `the shortest failing prefix${omitted > 0 ? ` (${omitted} older operations not shown)` : ''}:`,
  ] : [
    'no legal order exists (not narrowed down); the latest operations:',
  ];
  lines.push(
    ...prefix.map((op) => `  ${op === culprit && narrowed ? '>' : ' '} ${describeOperation(op)}`),
  );
  return lines.join('\n');
}
