// Lets Lock and Campaign calls wait for one key's deletion: a single listener on
// the server's applied writes wakes the waiters of deleted keys, so a waiting call
// costs a map entry and no watch stream.
import { EtcdError } from '../errors/etcd-error.js';
import { Event_EventType } from '../generated/mvccpb/kv.js';
import type { WriteResult } from '../mvcc/kv-view.js';

/** Calls that may wait for a deletion at once, across all keys. */
const DELETION_WAITERS_MAX = 100_000;

export interface WriteSource {
  onWrite(listener: (result: WriteResult) => void): void;
}

type Waiter = () => void;

export class KeyDeletionWatch {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private waiterCount = 0;

  constructor(source: WriteSource) {
    source.onWrite((result) => this.onWrite(result));
  }

  /**
   * Resolves when `key` is next deleted; rejects with EtcdError('Canceled') when
   * `signal` aborts. The caller checks, synchronously after calling, that the key
   * still exists: a deletion before the call is not seen.
   */
  waitForDeletion(key: Buffer, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(new EtcdError('Canceled'));
    if (this.waiterCount >= DELETION_WAITERS_MAX) return Promise.reject(new EtcdError('TooManyRequests'));
    const name = key.toString('latin1');
    return new Promise<void>((resolve, reject) => {
      const waiter = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.remove(name, waiter);
        reject(new EtcdError('Canceled'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      let set = this.waiters.get(name);
      if (set === undefined) this.waiters.set(name, (set = new Set()));
      set.add(waiter);
      this.waiterCount++;
    });
  }

  private remove(name: string, waiter: Waiter): void {
    const set = this.waiters.get(name);
    if (set === undefined || !set.delete(waiter)) return;
    this.waiterCount--;
    if (set.size === 0) this.waiters.delete(name);
  }

  private onWrite(result: WriteResult): void {
    if (this.waiterCount === 0) return;
    for (const event of result.events) {
      if (event.type !== Event_EventType.DELETE || event.kv === undefined) continue;
      const name = event.kv.key.toString('latin1');
      const set = this.waiters.get(name);
      if (set === undefined) continue;
      this.waiters.delete(name);
      this.waiterCount -= set.size;
      for (const waiter of set) waiter();
    }
  }
}
