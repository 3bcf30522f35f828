// Barriers as in etcd's contrib/recipes. A Barrier blocks waiters while its key exists;
// a DoubleBarrier lets `count` participants enter together and leave together.
import { RecipeError } from '../client-errors.js';
import type { Etcd } from '../etcd.js';
import { cmp, op } from '../txn-builder.js';
import type { Session } from './session.js';
import { createUniqueKey, type CreatedKey } from './unique-key.js';
import { WAIT_ROUNDS_MAX, waitEvent } from './wait-events.js';

export class Barrier {
  constructor(
    private readonly etcd: Etcd,
    private readonly key: string,
  ) {}

  /** Raises the barrier; fails if it is already up. */
  async hold(signal?: AbortSignal): Promise<void> {
    const result = await this.etcd.txn().when(cmp.createRevision(this.key, '=', 0)).then(op.put(this.key, '')).commit({ signal });
    if (!result.succeeded) throw new RecipeError(`barrier ${this.key}: already held`);
  }

  /** Lowers the barrier, releasing every waiter. */
  async release(signal?: AbortSignal): Promise<void> {
    await this.etcd.delete(this.key, { signal });
  }

  /** Returns once the barrier is down (at once if it is not up). */
  async wait(signal?: AbortSignal): Promise<void> {
    const current = await this.etcd.range(this.key, { signal });
    if (current.kvs.length === 0) return;
    await waitEvent(this.etcd, this.key, current.revision + 1n, ['delete'], { signal });
  }
}

export class DoubleBarrier {
  private mine: CreatedKey | undefined;

  constructor(
    private readonly session: Session,
    private readonly key: string,
    private readonly count: number,
  ) {
    if (!(Number.isInteger(count) && count >= 1)) throw new RangeError('a double barrier needs a count >= 1');
  }

  /** Waits until `count` participants have entered. */
  async enter(signal?: AbortSignal): Promise<void> {
    const etcd = this.session.etcd;
    this.mine = await createUniqueKey(etcd, `${this.key}/waiters`, '', this.session.leaseId, signal);
    const waiters = await etcd.range(`${this.key}/waiters/`, { prefix: true, countOnly: true, signal });
    if (waiters.count > BigInt(this.count)) throw new RecipeError(`double barrier ${this.key}: too many participants`);
    if (waiters.count === BigInt(this.count)) {
      await etcd.put(`${this.key}/ready`, '', { signal });
      return;
    }
    await waitEvent(etcd, `${this.key}/ready`, this.mine.revision, ['put'], { signal });
  }

  /**
   * Waits until every participant has left. The oldest waiter leaves last: it waits for the
   * newest to go, everyone else removes itself and waits for the oldest, as in the recipe.
   */
  async leave(signal?: AbortSignal): Promise<void> {
    const etcd = this.session.etcd;
    const mine = this.mine;
    if (mine === undefined) return;
    for (let round = 0; round < WAIT_ROUNDS_MAX; round++) {
      const waiters = await etcd.range(`${this.key}/waiters/`, { prefix: true, signal });
      if (waiters.kvs.length === 0) return;
      const byMod = [...waiters.kvs].sort((a, b) => (a.modRevision < b.modRevision ? -1 : a.modRevision > b.modRevision ? 1 : 0));
      const lowest = byMod[0]!;
      const highest = byMod[byMod.length - 1]!;
      if (waiters.kvs.length === 1) {
        await etcd.delete(`${this.key}/ready`, { signal });
        await etcd.delete(mine.key, { signal });
        this.mine = undefined;
        return;
      }
      if (lowest.key.toString() === mine.key) {
        await waitEvent(etcd, highest.key.toString(), highest.modRevision, ['delete'], { signal });
        continue;
      }
      await etcd.delete(mine.key, { signal });
      await waitEvent(etcd, lowest.key.toString(), lowest.modRevision, ['delete'], { signal });
      this.mine = undefined;
      return;
    }
  }
}
