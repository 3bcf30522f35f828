// A readers-writer lock as in etcd's contrib/recipes: readers wait only for older
// writers; a writer waits for every older key, reader or writer.
import { abortReason } from '../endpoint-pool.js';
import type { Session } from './session.js';
import { createUniqueKey, type CreatedKey } from './unique-key.js';
import { WAIT_ROUNDS_MAX, waitEvent } from './wait-events.js';

export class RWMutex {
  private mine: CreatedKey | undefined;

  constructor(
    private readonly session: Session,
    private readonly prefix: string,
  ) {}

  async readLock(signal?: AbortSignal): Promise<void> {
    this.mine = await createUniqueKey(this.session.etcd, `${this.prefix}/read`, '', this.session.leaseId, signal);
    await this.waitFor(`${this.prefix}/write`, signal);
  }

  async writeLock(signal?: AbortSignal): Promise<void> {
    this.mine = await createUniqueKey(this.session.etcd, `${this.prefix}/write`, '', this.session.leaseId, signal);
    await this.waitFor(`${this.prefix}/`, signal);
  }

  /** Releases a read or a write lock. */
  async unlock(signal?: AbortSignal): Promise<void> {
    if (this.mine === undefined) return;
    await this.session.etcd.delete(this.mine.key, { signal });
    this.mine = undefined;
  }

  // Waits until no key under `prefix` is older than ours, one predecessor at a time.
  private async waitFor(prefix: string, signal: AbortSignal | undefined): Promise<void> {
    const mine = this.mine;
    if (mine === undefined) return;
    const combined = signal === undefined ? this.session.signal : AbortSignal.any([signal, this.session.signal]);
    try {
      for (let round = 0; round < WAIT_ROUNDS_MAX; round++) {
        const older = await this.session.etcd.range(prefix, {
          prefix: true,
          maxCreateRevision: mine.revision - 1n,
          sortTarget: 'create',
          sortOrder: 'descend',
          limit: 1,
          signal: combined,
        });
        const last = older.kvs[0];
        if (last === undefined) return;
        await waitEvent(this.session.etcd, last.key.toString(), older.revision, ['delete'], { signal: combined });
      }
    } catch (error) {
      await this.unlock().catch(() => {});
      if (this.session.isLost) throw abortReason(this.session.signal);
      throw error;
    }
  }
}
