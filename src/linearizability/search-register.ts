// Wing & Gong's search for a legal order of one key's operations, with Lowe's
// memoization (a (set of operations already ordered, register state) pair that
// failed once is never explored again) and just-in-time ordering of operations
// that never returned. Bounded by a step budget.

import { assert } from '../util/assert.js';
import type { KvOperation, KvValue } from './kv-history.js';
import { seededRandom } from '../util/seeded-random.js';
import { stepRegister } from './register-model.js';

/** Explored (set, state) pairs kept at once: about 150 bytes each, so this caps memory near 150 MB. */
export const MEMO_ENTRIES_MAX = 1_000_000;

export type SearchOutcome =
  | { readonly kind: 'linearizable'; readonly steps: number }
  /** `longest`: indexes into the operations, the longest legal order the search reached. */
  | { readonly kind: 'violation'; readonly steps: number; readonly longest: readonly number[] }
  | { readonly kind: 'budget'; readonly steps: number };

/** A call or a return, linked in time order; lifting an operation unlinks both of its events. */
interface EventNode {
  readonly op: number;
  readonly isCall: boolean;
  /** For a call: its return. */
  partner: EventNode | undefined;
  prev: EventNode | undefined;
  next: EventNode | undefined;
}

interface Attempt {
  readonly call: EventNode;
  readonly stateBefore: KvValue;
}

/**
 * Searches for an order of `ops` (all on one key, pending reads already removed,
 * sorted by invocation time) that respects real time and the register's rules.
 * `stepsMax` bounds the work. Pending operations are optional: the search
 * succeeds once every completed one is ordered.
 */
export function searchRegister(ops: readonly KvOperation[], initial: KvValue, stepsMax: number): SearchOutcome {
  for (let i = 1; i < ops.length; i++) {
    assert((ops[i - 1] as KvOperation).invokeTimeNs <= (ops[i] as KvOperation).invokeTimeNs, 'ops must be sorted by invocation');
  }
  const head = buildEventList(ops);
  const memo = new LinearizedSetMemo(ops.length);
  const twinBefore = earlierPendingTwins(ops);
  const stack: Attempt[] = [];
  let longest: number[] = [];
  let completedLeft = ops.filter((op) => op.returnTimeNs !== null).length;
  let state = initial;
  let at = head.next;
  let steps = 0;
  while (completedLeft > 0) {
    if (++steps > stepsMax || memo.size > MEMO_ENTRIES_MAX) return { kind: 'budget', steps };
    assert(at !== undefined, 'the event list always ends with a return, which stops the walk');
    if (at.isCall) {
      const op = ops[at.op] as KvOperation;
      const twin = twinBefore[at.op] ?? -1;
      // Of identical pending operations, the earliest invoked can stand in for any other: use them in order.
      const after = twin >= 0 && !memo.has(twin) ? undefined : stepRegister(state, op);
      if (after !== undefined && !redundantAfterPending(stack[stack.length - 1], ops, at.op, after)) {
        memo.toggle(at.op);
        if (memo.addIfNew(after)) {
          stack.push({ call: at, stateBefore: state });
          if (stack.length > longest.length) longest = stack.map((a) => a.call.op);
          if (op.returnTimeNs !== null) completedLeft--;
          state = after;
          lift(at);
          at = head.next;
          continue;
        }
        memo.toggle(at.op);
      }
      at = at.next;
      continue;
    }
    // A return reached: its operation had to be ordered by now, so undo the last choice.
    const undo = stack.pop();
    if (undo === undefined) return { kind: 'violation', steps, longest };
    memo.toggle(undo.call.op);
    if (ops[undo.call.op]?.returnTimeNs !== null) completedLeft++;
    state = undo.stateBefore;
    unlift(undo.call);
    at = undo.call.next;
  }
  return { kind: 'linearizable', steps };
}

/**
 * For each pending operation, the index of the previous pending operation with
 * the same call (a client retrying the same write, say), or -1.
 */
function earlierPendingTwins(ops: readonly KvOperation[]): Int32Array {
  const twins = new Int32Array(ops.length).fill(-1);
  const lastByCall = new Map<string, number>();
  ops.forEach((op, i) => {
    if (op.returnTimeNs !== null) return;
    const call = `${op.kind}:${JSON.stringify(op.input)}`;
    twins[i] = lastByCall.get(call) ?? -1;
    lastByCall.set(call, i);
  });
  return twins;
}

/**
 * Lowe's "just in time" idea for operations that never returned: right after a
 * pending p took effect, ordering q next is redundant when the search reaches the
 * same state another way that it explores anyway: q alone (q overwrites p, and p
 * stays free to happen later or never), or q before p (they commute; between two
 * pending operations only the lower index goes first, so one order survives).
 * Without this, every subset of overwritten pending writes is a distinct search state.
 */
function redundantAfterPending(prev: Attempt | undefined, ops: readonly KvOperation[], q: number, after: KvValue): boolean {
  if (prev === undefined) return false;
  const p = ops[prev.call.op] as KvOperation;
  if (p.returnTimeNs !== null) return false;
  const qOp = ops[q] as KvOperation;
  const qFirst = stepRegister(prev.stateBefore, qOp);
  if (qFirst === undefined) return false;
  if (qFirst === after) return true;
  const qIsPending = qOp.returnTimeNs === null;
  if (qIsPending && q > prev.call.op) return false;
  return stepRegister(qFirst, p) === after;
}

/**
 * The (set of ordered operations, state) pairs already explored. The set is a
 * bitset with a Zobrist hash kept up to date on every toggle, so a lookup costs
 * a short key, and hash collisions are settled by comparing the bitsets exactly.
 */
class LinearizedSetMemo {
  private readonly bits: Uint32Array;
  private readonly zobristLo: Uint32Array;
  private readonly zobristHi: Uint32Array;
  private hashLo = 0;
  private hashHi = 0;
  private readonly seen = new Map<string, Uint32Array[]>();
  private entries = 0;

  constructor(opCount: number) {
    this.bits = new Uint32Array(Math.ceil(opCount / 32) + 1);
    this.zobristLo = new Uint32Array(opCount);
    this.zobristHi = new Uint32Array(opCount);
    const random = seededRandom(ZOBRIST_SEED);
    for (let i = 0; i < opCount; i++) {
      this.zobristLo[i] = random.next() * 2 ** 32;
      this.zobristHi[i] = random.next() * 2 ** 32;
    }
  }

  toggle(op: number): void {
    const word = op >>> 5;
    this.bits[word] = (this.bits[word] ?? 0) ^ (1 << (op & 31));
    this.hashLo ^= this.zobristLo[op] ?? 0;
    this.hashHi ^= this.zobristHi[op] ?? 0;
  }

  get size(): number {
    return this.entries;
  }

  has(op: number): boolean {
    return (((this.bits[op >>> 5] ?? 0) >>> (op & 31)) & 1) === 1;
  }

  /** Records the current set with `state`; false when that pair was seen before. */
  addIfNew(state: KvValue): boolean {
    const key = `${this.hashLo}:${this.hashHi}${state === null ? '-' : `=${state}`}`;
    const sets = this.seen.get(key);
    if (sets === undefined) {
      this.seen.set(key, [this.bits.slice()]);
    } else {
      for (const s of sets) if (sameBits(s, this.bits)) return false;
      sets.push(this.bits.slice());
    }
    this.entries++;
    return true;
  }
}

/** Fixed: the hash only has to spread sets, not be secret, and runs must replay. */
const ZOBRIST_SEED = 0x9e3779b9;

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Calls and returns sorted by time. At equal times calls come first, so touching
 * operations count as concurrent: the lenient reading, which never invents an anomaly.
 * A pending operation's return sits after everything else.
 */
function buildEventList(ops: readonly KvOperation[]): EventNode {
  const events: { time: number; node: EventNode }[] = [];
  ops.forEach((op, i) => {
    const ret: EventNode = { op: i, isCall: false, partner: undefined, prev: undefined, next: undefined };
    const call: EventNode = { op: i, isCall: true, partner: ret, prev: undefined, next: undefined };
    events.push({ time: op.invokeTimeNs, node: call });
    events.push({ time: op.returnTimeNs ?? Number.POSITIVE_INFINITY, node: ret });
  });
  events.sort((a, b) => a.time - b.time || Number(b.node.isCall) - Number(a.node.isCall) || a.node.op - b.node.op);
  const head: EventNode = { op: -1, isCall: false, partner: undefined, prev: undefined, next: undefined };
  let tail = head;
  for (const { node } of events) {
    tail.next = node;
    node.prev = tail;
    tail = node;
  }
  return head;
}

function unlink(node: EventNode): void {
  if (node.prev !== undefined) node.prev.next = node.next;
  if (node.next !== undefined) node.next.prev = node.prev;
}

function relink(node: EventNode): void {
  if (node.prev !== undefined) node.prev.next = node;
  if (node.next !== undefined) node.next.prev = node;
}

function lift(call: EventNode): void {
  unlink(call);
  if (call.partner !== undefined) unlink(call.partner);
}

/** Exactly reverses lift(): the nodes kept their neighbours, so relinking in reverse restores the list. */
function unlift(call: EventNode): void {
  if (call.partner !== undefined) relink(call.partner);
  relink(call);
}
