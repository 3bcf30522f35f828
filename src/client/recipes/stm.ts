// Software transactional memory as etcd's concurrency.NewSTM: a function reads and
// writes through an STM object; its writes commit in one txn only if what it read is
// unchanged, else it runs again. Isolation decides which reads are checked and when.
import type { Etcd } from '../etcd.js';
import type { RangeResult } from '../kv-requests.js';
import { cmp, op, type TxnResult } from '../txn-builder.js';
import type { Compare, RequestOp } from '../../generated/etcdserverpb/rpc.js';
import { RecipeError } from '../client-errors.js';

/**
 * serializable-snapshot: reads at the revision of the first read; commit also fails if a
 * written key changed since then (etcd's default). serializable: the same without the
 * write check. repeatable-read: each key keeps the value first read. read-committed: no checks.
 */
export type Isolation = 'serializable-snapshot' | 'serializable' | 'repeatable-read' | 'read-committed';

export const STM_ATTEMPTS_MAX_DEFAULT = 1_000;

export interface StmOptions {
  isolation?: Isolation;
  /** Runs of the function before giving up with a conflict error. */
  attemptsMax?: number;
  signal?: AbortSignal;
}

export interface Stm {
  /** The key's value as of this attempt's snapshot ('' when absent, as etcd's STM). */
  get(key: string): Promise<string>;
  /** The key's mod revision in this attempt's snapshot (0 when absent). */
  rev(key: string): Promise<bigint>;
  put(key: string, value: string, options?: { lease?: bigint }): void;
  del(key: string): void;
}

export class StmConflictError extends RecipeError {}

class StmAttempt implements Stm {
  readonly reads = new Map<string, RangeResult>();
  readonly writes = new Map<string, RequestOp>();
  private snapshotRevision = 0n;

  constructor(
    private readonly etcd: Etcd,
    private readonly isolation: Isolation,
    private readonly signal: AbortSignal | undefined,
  ) {}

  async get(key: string): Promise<string> {
    const written = this.writes.get(key);
    if (written !== undefined) return written.request?.$case === 'requestPut' ? written.request.value.value.toString() : '';
    return (await this.fetch(key)).kvs[0]?.value.toString() ?? '';
  }

  async rev(key: string): Promise<bigint> {
    return (await this.fetch(key)).kvs[0]?.modRevision ?? 0n;
  }

  put(key: string, value: string, options: { lease?: bigint } = {}): void {
    this.writes.set(key, op.put(key, value, { lease: options.lease ?? 0n }));
  }

  del(key: string): void {
    this.writes.set(key, op.delete(key));
  }

  private async fetch(key: string): Promise<RangeResult> {
    const cached = this.reads.get(key);
    if (cached !== undefined && this.isolation !== 'read-committed') return cached;
    const fixed = this.isolation.startsWith('serializable') && this.snapshotRevision > 0n;
    const result = await this.etcd.range(key, fixed ? { revision: this.snapshotRevision, serializable: true, signal: this.signal } : { signal: this.signal });
    if (this.snapshotRevision === 0n) this.snapshotRevision = result.revision;
    this.reads.set(key, result);
    return result;
  }

  conflicts(): Compare[] {
    if (this.isolation === 'read-committed') return [];
    const compares = [...this.reads].map(([key, result]) => cmp.modRevision(key, '=', result.kvs[0]?.modRevision ?? 0n));
    if (this.isolation === 'serializable-snapshot' && this.snapshotRevision > 0n) {
      for (const key of this.writes.keys()) compares.push(cmp.modRevision(key, '<', this.snapshotRevision + 1n));
    }
    return compares;
  }
}

/** Runs `apply` until its reads and writes commit atomically; returns the commit's txn result. */
export async function runStm(etcd: Etcd, apply: (stm: Stm) => Promise<void>, options: StmOptions = {}): Promise<TxnResult> {
  const isolation = options.isolation ?? 'serializable-snapshot';
  const attemptsMax = options.attemptsMax ?? STM_ATTEMPTS_MAX_DEFAULT;
  for (let attempt = 1; attempt <= attemptsMax; attempt++) {
    const stm = new StmAttempt(etcd, isolation, options.signal);
    await apply(stm);
    const result = await etcd
      .txn()
      .when(...stm.conflicts())
      .then(...stm.writes.values())
      .commit({ signal: options.signal });
    if (result.succeeded) return result;
  }
  throw new StmConflictError(`stm: still conflicting after ${attemptsMax} attempts`);
}
