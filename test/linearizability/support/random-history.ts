// Generates concurrent histories that are linearizable by construction: every
// operation takes effect at a random instant inside its interval on a true
// register, and answers what the register said then.

import type { KvOperation, KvValue } from '../../../src/linearizability/index.js';
import type { SeededRandom } from '../../../src/util/seeded-random.js';
import { cas, del, read, write } from './ops.js';

export interface HistoryShape {
  readonly clients: number;
  readonly opsPerClient: number;
  readonly keys: number;
  /** Probability that an operation never answers (it may still take effect). */
  readonly pendingRate: number;
}

interface Planned {
  readonly clientId: number;
  readonly kind: KvOperation['kind'];
  readonly key: string;
  readonly value: string;
  readonly invokeTimeNs: number;
  readonly returnTimeNs: number;
  readonly pending: boolean;
  /** When it took effect; undefined for a pending operation that never did. */
  readonly effectTimeNs: number | undefined;
}

export function linearizableHistory(random: SeededRandom, shape: HistoryShape): KvOperation[] {
  const plans = planOperations(random, shape);
  const register = new Map<string, KvValue>();
  const ops: KvOperation[] = [];
  const effective = plans.filter((p) => p.effectTimeNs !== undefined)
    .sort((a, b) => (a.effectTimeNs ?? 0) - (b.effectTimeNs ?? 0));
  for (const p of effective) ops.push(takeEffect(p, register, random));
  for (const p of plans) {
    if (p.effectTimeNs !== undefined) continue;
    ops.push(neverTookEffect(p));
  }
  return ops.sort((a, b) => a.invokeTimeNs - b.invokeTimeNs);
}

function planOperations(random: SeededRandom, shape: HistoryShape): Planned[] {
  const kinds: KvOperation['kind'][] = ['read', 'read', 'write', 'write', 'cas', 'delete'];
  const plans: Planned[] = [];
  for (let clientId = 0; clientId < shape.clients; clientId++) {
    let now = random.int(0, 20);
    for (let n = 0; n < shape.opsPerClient; n++) {
      const invokeTimeNs = now;
      const returnTimeNs = invokeTimeNs + random.int(1, 40);
      const pending = random.next() < shape.pendingRate;
      const effectTimeNs = pending && random.next() < 0.5
        ? undefined
        : invokeTimeNs + random.next() * (returnTimeNs - invokeTimeNs);
      plans.push({
        clientId, kind: kinds[random.int(0, kinds.length - 1)] ?? 'read', key: `k${random.int(0, shape.keys - 1)}`,
        // Some calls repeat the client's previous value, as a retry after a timeout does.
        value: `c${clientId}-${n > 0 && random.next() < 0.3 ? n - 1 : n}`, invokeTimeNs, returnTimeNs, pending, effectTimeNs,
      });
      now = returnTimeNs + random.int(1, 10);
    }
  }
  return plans;
}

function takeEffect(p: Planned, register: Map<string, KvValue>, random: SeededRandom): KvOperation {
  const current = register.get(p.key) ?? null;
  const span = spanOf(p);
  switch (p.kind) {
    case 'read':
      return read(p.clientId, p.key, current, span);
    case 'write':
      register.set(p.key, p.value);
      return write(p.clientId, p.key, p.value, span);
    case 'cas': {
      // Half of them expect the true current value, so both outcomes occur.
      const expected = random.next() < 0.5 ? current : `c${p.clientId}-stale`;
      if (expected === current) register.set(p.key, p.value);
      return cas(p.clientId, p.key, expected, p.value, expected === current, span);
    }
    case 'delete':
      register.set(p.key, null);
      return del(p.clientId, p.key, current !== null, span);
  }
}

/** A pending operation that never took effect: its answer is unknown anyway. */
function neverTookEffect(p: Planned): KvOperation {
  const span = spanOf(p);
  switch (p.kind) {
    case 'read':
      return read(p.clientId, p.key, null, span);
    case 'write':
      return write(p.clientId, p.key, p.value, span);
    case 'cas':
      return cas(p.clientId, p.key, null, p.value, false, span);
    case 'delete':
      return del(p.clientId, p.key, false, span);
  }
}

function spanOf(p: Planned): readonly [number, number | null] {
  return [p.invokeTimeNs, p.pending ? null : p.returnTimeNs];
}
