// The shape of a client history on a key-value store, as the linearizability
// checker reads it: one record per operation, with its call and its answer.

import { assert } from '../util/assert.js';

/** A register value; null means the key is absent. */
export type KvValue = string | null;

interface OperationTimes {
  readonly clientId: number;
  readonly key: string;
  /** Any clock shared by every client, as long as it never goes back (ns by convention). */
  readonly invokeTimeNs: number;
  /** null: no answer ever came (timeout, crash); the operation may or may not have taken effect. */
  readonly returnTimeNs: number | null;
}

export interface ReadOperation extends OperationTimes {
  readonly kind: 'read';
  readonly input: null;
  readonly output: { readonly value: KvValue } | null;
}

export interface WriteOperation extends OperationTimes {
  readonly kind: 'write';
  readonly input: { readonly value: string };
  readonly output: Record<string, never> | null;
}

/** Compare-and-set: sets `value` only if the key currently holds `expected` (null: only if absent). */
export interface CasOperation extends OperationTimes {
  readonly kind: 'cas';
  readonly input: { readonly expected: KvValue; readonly value: string };
  readonly output: { readonly ok: boolean } | null;
}

export interface DeleteOperation extends OperationTimes {
  readonly kind: 'delete';
  readonly input: null;
  /** Whether the key existed, as etcd's deleted count says. */
  readonly output: { readonly existed: boolean } | null;
}

/**
 * An operation a client invoked. Leave out operations known to have had no
 * effect (a request refused before it reached the log): they carry no information.
 */
export type KvOperation = ReadOperation | WriteOperation | CasOperation | DeleteOperation;

export function isPending(op: KvOperation): boolean {
  return op.returnTimeNs === null;
}

/** Malformed records are bugs in whoever recorded the history, not anomalies of the store. */
export function assertWellFormed(op: KvOperation): void {
  assert(Number.isFinite(op.invokeTimeNs), `operation invoke time ${op.invokeTimeNs} is not a number`);
  if (op.returnTimeNs === null) {
    assert(op.output === null, 'a pending operation cannot have an output');
    return;
  }
  assert(op.returnTimeNs >= op.invokeTimeNs, `operation returned at ${op.returnTimeNs} before its invocation`);
  assert(op.output !== null, 'a returned operation needs an output');
}

export function describeOperation(op: KvOperation): string {
  const when = `[${op.invokeTimeNs}, ${op.returnTimeNs ?? '∞'}]`;
  const show = (v: KvValue): string => (v === null ? 'absent' : JSON.stringify(v));
  const pending = op.output === null;
  let call: string;
  switch (op.kind) {
    case 'read':
      call = `read ${op.key} -> ${op.output === null ? '?' : show(op.output.value)}`;
      break;
    case 'write':
      call = `write ${op.key} = ${show(op.input.value)}`;
      break;
    case 'cas':
      call = `cas ${op.key} ${show(op.input.expected)} -> ${show(op.input.value)}: ` +
        `${op.output === null ? '?' : op.output.ok ? 'ok' : 'failed'}`;
      break;
    case 'delete':
      call = `delete ${op.key}${op.output === null ? '' : op.output.existed ? ' (existed)' : ' (absent)'}`;
      break;
  }
  return `client ${op.clientId} ${call} ${when}${pending ? ' pending' : ''}`;
}
