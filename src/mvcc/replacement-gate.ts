// While a snapshot from the leader replaces the backend's contents slice by slice, the
// records under the store's index come and go between commits. Readers wait at this
// gate until the store has reloaded from the new contents, as etcd's readers wait
// for its store restore.
import { assert } from '../util/assert.js';

export class ReplacementGate {
  private closed: Promise<void> | null = null;
  private release: () => void = () => undefined;
  private refuse: (error: Error) => void = () => undefined;

  get isOpen(): boolean {
    return this.closed === null;
  }

  close(): void {
    assert(this.closed === null, 'a replacement is already under way');
    this.closed = new Promise<void>((resolve, reject) => {
      this.release = resolve;
      this.refuse = reject;
    });
    // Nobody may be waiting when it fails; later readers still get the error.
    this.closed.catch(() => undefined);
  }

  open(): void {
    this.closed = null;
    this.release();
  }

  /** The replacement stopped half way: the backend holds a mix, so every waiting and later reader fails. */
  fail(error: Error): void {
    this.refuse(error);
  }

  /** Resolves at once while open. */
  passed(): Promise<void> {
    return this.closed ?? Promise.resolve();
  }
}
