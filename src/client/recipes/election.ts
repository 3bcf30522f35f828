// Leader election as in etcd's concurrency package: candidates queue keys under the
// election prefix on their session lease; the oldest key is the leader and its value
// is the proclaimed value. Observers follow the leader as it changes.
import { RecipeError } from '../client-errors.js';
import { abortReason } from '../endpoint-pool.js';
import type { Etcd } from '../etcd.js';
import type { KeyValue } from '../kv-requests.js';
import { cmp, op } from '../txn-builder.js';
import type { Session } from './session.js';
import { firstCreated, waitDeletes, waitEvent } from './wait-events.js';

/** Leaders observed before an observer stops; reached only by a very long-running observer. */
export const OBSERVE_LEADERS_MAX = 1_000_000;

export class ElectionNotLeaderError extends RecipeError {
  constructor(prefix: string) {
    super(`election ${prefix}: not leader`);
  }
}

export class ElectionNoLeaderError extends RecipeError {
  constructor(prefix: string) {
    super(`election ${prefix}: no leader`);
  }
}

export class Election {
  private readonly prefix: string;
  private leaderKey = '';
  private leaderRevision = -1n;

  constructor(
    private readonly session: Session,
    name: string,
  ) {
    this.prefix = `${name}/`;
  }

  /** Our key while campaigning or leading ('' otherwise). */
  get key(): string {
    return this.leaderKey;
  }

  /** Waits until this session leads, with `value` proclaimed. On abort, withdraws. */
  async campaign(value: string, signal?: AbortSignal): Promise<void> {
    const etcd = this.session.etcd;
    const key = `${this.prefix}${this.session.leaseId.toString(16)}`;
    const result = await etcd
      .txn()
      .when(cmp.createRevision(key, '=', 0))
      .then(op.put(key, value, { lease: this.session.leaseId }))
      .else(op.get(key))
      .commit({ signal });
    this.leaderKey = key;
    this.leaderRevision = result.revision;
    if (!result.succeeded) {
      const existing = result.responses[0];
      const kv = existing?.type === 'range' ? existing.result.kvs[0] : undefined;
      this.leaderRevision = kv?.createRevision ?? result.revision;
      if (kv !== undefined && kv.value.toString() !== value) await this.proclaim(value, signal);
    }
    try {
      const combined = signal === undefined ? this.session.signal : AbortSignal.any([signal, this.session.signal]);
      await waitDeletes(etcd, this.prefix, this.leaderRevision - 1n, combined);
    } catch (error) {
      await this.resign().catch(() => {});
      if (this.session.isLost) throw abortReason(this.session.signal);
      throw error;
    }
  }

  /** Changes the leader's value without a new election; fails if we no longer lead. */
  async proclaim(value: string, signal?: AbortSignal): Promise<void> {
    if (this.leaderKey === '') throw new ElectionNotLeaderError(this.prefix);
    const result = await this.session.etcd
      .txn()
      .when(cmp.createRevision(this.leaderKey, '=', this.leaderRevision))
      .then(op.put(this.leaderKey, value, { lease: this.session.leaseId }))
      .commit({ signal });
    if (!result.succeeded) {
      this.leaderKey = '';
      throw new ElectionNotLeaderError(this.prefix);
    }
  }

  /** Gives up leadership (or the place in the queue). A no-op when not campaigning. */
  async resign(signal?: AbortSignal): Promise<void> {
    if (this.leaderKey === '') return;
    await this.session.etcd.txn().when(cmp.createRevision(this.leaderKey, '=', this.leaderRevision)).then(op.delete(this.leaderKey)).commit({ signal });
    this.leaderKey = '';
    this.leaderRevision = -1n;
  }

  /** The current leader's key and value. */
  async leader(signal?: AbortSignal): Promise<KeyValue> {
    return leaderOf(this.session.etcd, this.prefix, signal);
  }

  /** Every leader value from now on: the current leader, its proclamations, its successors. */
  observe(signal?: AbortSignal): AsyncGenerator<KeyValue, void, undefined> {
    return observeElection(this.session.etcd, this.prefix, signal);
  }
}

export async function leaderOf(etcd: Etcd, prefix: string, signal?: AbortSignal): Promise<KeyValue> {
  const { kv } = await firstCreated(etcd, prefix, signal);
  if (kv === undefined) throw new ElectionNoLeaderError(prefix);
  return kv;
}

/** Observation needs no session: anyone may follow an election's leader. */
export async function* observeElection(etcd: Etcd, prefix: string, signal?: AbortSignal): AsyncGenerator<KeyValue, void, undefined> {
  for (let leaders = 0; leaders < OBSERVE_LEADERS_MAX && signal?.aborted !== true; leaders++) {
    const first = await firstCreated(etcd, prefix, signal);
    let leader = first.kv;
    let fromRevision = first.revision + 1n;
    if (leader === undefined) {
      const put = await waitEvent(etcd, prefix, first.revision, ['put'], { prefix: true, signal });
      leader = put.kv;
      fromRevision = put.kv.modRevision + 1n;
    }
    yield leader;
    // Follow this leader's key until it goes; every put on it is a proclamation.
    const watcher = await etcd.watch(leader.key, { startRevision: fromRevision, signal });
    try {
      for await (const event of watcher.events()) {
        if (event.type === 'delete') break;
        yield event.kv;
      }
    } finally {
      await watcher.close();
    }
  }
}
