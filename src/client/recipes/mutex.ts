// A distributed lock as in etcd's concurrency package: each contender puts a key under
// the lock's prefix on its session lease; the key with the lowest create revision holds
// the lock, and every other contender waits for the deletion of the one just before it.
import { RecipeError } from '../client-errors.js';
import { abortReason } from '../endpoint-pool.js';
import { cmp, op } from '../txn-builder.js';
import type { Session } from './session.js';
import { waitDeletes } from './wait-events.js';

export class LockedError extends RecipeError {
  constructor(name: string) {
    super(`mutex ${name}: locked by another session`);
  }
}

export class Mutex {
  private readonly prefix: string;
  private myKey = '';
  private myRevision = -1n;

  constructor(
    private readonly session: Session,
    name: string,
  ) {
    this.prefix = `${name}/`;
  }

  /** The key this contender holds while waiting or owning ('' when unlocked). */
  get key(): string {
    return this.myKey;
  }

  /** The revision at which the lock was taken (the key's create revision). */
  get revision(): bigint {
    return this.myRevision;
  }

  /** Waits until this session owns the lock; on abort or failure leaves the queue. */
  async lock(signal?: AbortSignal): Promise<void> {
    const owned = await this.enqueue(signal);
    if (owned) return;
    try {
      const combined = signal === undefined ? this.session.signal : AbortSignal.any([signal, this.session.signal]);
      await waitDeletes(this.session.etcd, this.prefix, this.myRevision - 1n, combined);
    } catch (error) {
      await this.unlock().catch(() => {});
      if (this.session.isLost) throw abortReason(this.session.signal);
      throw error;
    }
    // The session may have expired while we waited: then our key is gone and so is the lock.
    const mine = await this.session.etcd.get(this.myKey, { signal });
    if (mine === undefined) {
      this.myKey = '';
      throw new RecipeError(`mutex ${this.prefix}: session expired while waiting`);
    }
  }

  /** Takes the lock if nobody holds it, else throws LockedError without waiting. */
  async tryLock(signal?: AbortSignal): Promise<void> {
    if (await this.enqueue(signal)) return;
    await this.unlock();
    throw new LockedError(this.prefix);
  }

  async unlock(signal?: AbortSignal): Promise<void> {
    if (this.myKey === '') return;
    await this.session.etcd.delete(this.myKey, { signal });
    this.myKey = '';
    this.myRevision = -1n;
  }

  /** A compare that holds only while this session owns the lock, for guarded txns. */
  isOwner(): ReturnType<typeof cmp.createRevision> {
    return cmp.createRevision(this.myKey, '=', this.myRevision);
  }

  /** Puts our key (or finds it, if this session already queued) and says whether we own the lock. */
  private async enqueue(signal: AbortSignal | undefined): Promise<boolean> {
    const etcd = this.session.etcd;
    this.myKey = `${this.prefix}${this.session.leaseId.toString(16)}`;
    const ownerQuery = op.get(this.prefix, { prefix: true, sortTarget: 'create', sortOrder: 'ascend', limit: 1 });
    const result = await etcd
      .txn()
      .when(cmp.createRevision(this.myKey, '=', 0))
      .then(op.put(this.myKey, '', { lease: this.session.leaseId }), ownerQuery)
      .else(op.get(this.myKey), ownerQuery)
      .commit({ signal });
    this.myRevision = result.revision;
    const mine = result.responses[0];
    if (!result.succeeded && mine?.type === 'range') this.myRevision = mine.result.kvs[0]?.createRevision ?? result.revision;
    const owner = result.responses[1];
    const ownerKv = owner?.type === 'range' ? owner.result.kvs[0] : undefined;
    return ownerKv === undefined || ownerKv.createRevision === this.myRevision;
  }
}
