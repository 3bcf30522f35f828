// Simulated clients: each runs one operation at a time against some member,
// gives up after a timeout (the operation stays pending in the history) and
// retries the same call elsewhere as a new operation. They write the history.

import type { KvOperation } from '../../src/linearizability/index.js';
import type { MemberId } from '../../src/raft/types.js';
import type { SeededRandom } from '../../src/util/seeded-random.js';
import type { ClientAnswer, ClientCall, ClientRequest } from './client-protocol.js';

/** How long a client waits for an answer before giving up on it. */
export const CLIENT_TIMEOUT_NS = 250_000_000;
/** Attempts of one call (first try plus retries) before the client moves on. */
const CALL_ATTEMPTS_MAX = 4;
/** Pause after a refusal before retrying elsewhere. */
const REFUSED_BACKOFF_NS = 15_000_000;
const THINK_TIME_NS_MAX = 5_000_000;

export interface ClientEnv {
  readonly random: SeededRandom;
  readonly nowNs: number;
  readonly memberIds: readonly MemberId[];
  /** Sends a request; it may be lost on the way. */
  send(member: MemberId, request: ClientRequest): void;
  scheduleTimeout(clientId: number, rid: string): void;
  scheduleIssue(clientId: number, afterNs: number): void;
}

interface Attempt {
  readonly request: ClientRequest;
  readonly member: MemberId;
  readonly invokeTimeNs: number;
  readonly attempt: number;
}

interface ClientState {
  readonly id: number;
  current: Attempt | undefined;
  /** The call to retry, with how many attempts it has had. */
  retry: { call: ClientCall; attempts: number } | undefined;
  member: MemberId;
  opsStarted: number;
  /** The last value this client saw per key, which its compare-and-sets expect. */
  readonly lastSeen: Map<string, string | null>;
}

export class SimClients {
  readonly history: KvOperation[] = [];
  private readonly clients: ClientState[] = [];
  private issuing = true;
  private finalReadsLeft: string[] = [];
  private readonly finalClientId: number;

  constructor(private readonly env: ClientEnv, count: number, private readonly keys: readonly string[]) {
    for (let id = 0; id <= count; id++) {
      this.clients.push({
        id, current: undefined, retry: undefined, member: this.randomMember(), opsStarted: 0, lastSeen: new Map(),
      });
    }
    // The last client only reads every key once the cluster has healed.
    this.finalClientId = count;
  }

  start(): void {
    for (const c of this.clients) {
      if (c.id !== this.finalClientId) this.env.scheduleIssue(c.id, this.env.random.int(0, THINK_TIME_NS_MAX));
    }
  }

  /** No new calls from now on; retries of started ones are dropped too. */
  stopIssuing(): void {
    this.issuing = false;
  }

  startFinalReads(): void {
    this.finalReadsLeft = [...this.keys];
    this.env.scheduleIssue(this.finalClientId, 0);
  }

  get idle(): boolean {
    return this.clients.every((c) => c.current === undefined) && this.finalReadsLeft.length === 0;
  }

  issue(clientId: number): void {
    const c = this.client(clientId);
    if (c.current !== undefined) return;
    const call = this.nextCall(c);
    if (call === undefined) return;
    c.opsStarted++;
    const rid = `c${c.id}-${c.opsStarted}`;
    const attempt = c.retry === undefined ? 1 : c.retry.attempts + 1;
    c.retry = undefined;
    const request: ClientRequest = { clientId, rid, call: withValue(call, rid) };
    c.current = { request, member: c.member, invokeTimeNs: this.env.nowNs, attempt };
    this.env.send(c.member, request);
    this.env.scheduleTimeout(clientId, rid);
  }

  answer(clientId: number, rid: string, answer: ClientAnswer): void {
    const c = this.client(clientId);
    const current = c.current;
    if (current === undefined || current.request.rid !== rid) return; // too late: already given up
    c.current = undefined;
    if (answer.kind === 'refused') {
      // Certainly no effect, so it stays out of the history.
      this.planRetry(c, current);
      this.env.scheduleIssue(c.id, REFUSED_BACKOFF_NS);
      return;
    }
    this.history.push(record(current, this.env.nowNs, answer));
    this.remember(c, current.request.call, answer);
    if (c.id === this.finalClientId) this.finalReadsLeft.shift();
    this.env.scheduleIssue(c.id, this.env.random.int(1, THINK_TIME_NS_MAX));
  }

  timeout(clientId: number, rid: string): void {
    const c = this.client(clientId);
    const current = c.current;
    if (current === undefined || current.request.rid !== rid) return;
    c.current = undefined;
    // It may still take effect, or may never: pending, for ever.
    this.history.push(record(current, null, undefined));
    this.planRetry(c, current);
    this.env.scheduleIssue(c.id, 0);
  }

  private nextCall(c: ClientState): ClientCall | undefined {
    if (c.id === this.finalClientId) {
      const key = this.finalReadsLeft[0];
      return key === undefined ? undefined : { kind: 'read', key };
    }
    if (!this.issuing) return undefined;
    if (c.retry !== undefined) return c.retry.call;
    const r = this.env.random;
    const key = this.keys[r.int(0, this.keys.length - 1)] ?? 'k0';
    const roll = r.next();
    if (roll < 0.4) return { kind: 'read', key };
    if (roll < 0.7) return { rid: '', kind: 'write', key, value: '' };
    if (roll < 0.9) {
      const expected = r.next() < 0.8 ? (c.lastSeen.get(key) ?? null) : null;
      return { rid: '', kind: 'cas', key, expected, value: '' };
    }
    return { rid: '', kind: 'delete', key };
  }

  /** Retries go to another member, as a client library does after a timeout. */
  private planRetry(c: ClientState, failed: Attempt): void {
    c.member = this.randomMember(failed.member);
    if (failed.attempt >= CALL_ATTEMPTS_MAX) {
      if (c.id === this.finalClientId) this.finalReadsLeft.shift();
      return;
    }
    c.retry = { call: failed.request.call, attempts: failed.attempt };
  }

  private remember(c: ClientState, call: ClientCall, answer: ClientAnswer): void {
    if (answer.kind === 'read') c.lastSeen.set(call.key, answer.value);
    else if (call.kind === 'write') c.lastSeen.set(call.key, call.value);
    else if (call.kind === 'cas' && answer.kind === 'cas' && answer.ok) c.lastSeen.set(call.key, call.value);
    else if (call.kind === 'delete') c.lastSeen.set(call.key, null);
  }

  private randomMember(not?: MemberId): MemberId {
    const ids = this.env.memberIds.filter((id) => id !== not);
    return ids[this.env.random.int(0, ids.length - 1)] ?? this.env.memberIds[0] ?? 1n;
  }

  private client(id: number): ClientState {
    const c = this.clients[id];
    if (c === undefined) throw new Error(`no client ${id}`);
    return c;
  }
}

/** Fresh calls carry their request id, and writes write it: every written value is unique. */
function withValue(call: ClientCall, rid: string): ClientCall {
  switch (call.kind) {
    case 'read': return call;
    case 'write': return { ...call, rid, value: call.value === '' ? rid : call.value };
    case 'cas': return { ...call, rid, value: call.value === '' ? rid : call.value };
    case 'delete': return { ...call, rid };
  }
}

/** The history record of an attempt; `answer` undefined with a null return time means pending. */
function record(a: Attempt, returnTimeNs: number | null, answer: ClientAnswer | undefined): KvOperation {
  const base = { clientId: a.request.clientId, key: a.request.call.key, invokeTimeNs: a.invokeTimeNs, returnTimeNs };
  const call = a.request.call;
  switch (call.kind) {
    case 'read':
      return { ...base, kind: 'read', input: null, output: answer?.kind === 'read' ? { value: answer.value } : null };
    case 'write':
      return { ...base, kind: 'write', input: { value: call.value }, output: answer?.kind === 'write' ? {} : null };
    case 'cas':
      return {
        ...base, kind: 'cas', input: { expected: call.expected, value: call.value },
        output: answer?.kind === 'cas' ? { ok: answer.ok } : null,
      };
    case 'delete':
      return { ...base, kind: 'delete', input: null, output: answer?.kind === 'delete' ? { existed: answer.existed } : null };
  }
}
