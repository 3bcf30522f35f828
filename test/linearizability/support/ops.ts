// Terse builders for hand-written histories: times are [invoke, return], and a
// return of null marks an operation that never answered.

import type { KvOperation, KvValue } from '../../../src/linearizability/index.js';

type Span = readonly [invokeTimeNs: number, returnTimeNs: number | null];

export function read(clientId: number, key: string, value: KvValue, [invoke, ret]: Span): KvOperation {
  return {
    kind: 'read', clientId, key, input: null,
    output: ret === null ? null : { value }, invokeTimeNs: invoke, returnTimeNs: ret,
  };
}

export function write(clientId: number, key: string, value: string, [invoke, ret]: Span): KvOperation {
  return {
    kind: 'write', clientId, key, input: { value },
    output: ret === null ? null : {}, invokeTimeNs: invoke, returnTimeNs: ret,
  };
}

export function cas(
  clientId: number, key: string, expected: KvValue, value: string, ok: boolean, [invoke, ret]: Span,
): KvOperation {
  return {
    kind: 'cas', clientId, key, input: { expected, value },
    output: ret === null ? null : { ok }, invokeTimeNs: invoke, returnTimeNs: ret,
  };
}

export function del(clientId: number, key: string, existed: boolean, [invoke, ret]: Span): KvOperation {
  return {
    kind: 'delete', clientId, key, input: null,
    output: ret === null ? null : { existed }, invokeTimeNs: invoke, returnTimeNs: ret,
  };
}
