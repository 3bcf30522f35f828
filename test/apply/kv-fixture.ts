// A real MvccStore on a MemoryBackend for the applier tests, plus a stand-in for
// the lease module that records what the applier tells it.
import { MemoryBackend } from '../../src/backend/memory-backend.js';
import type { LeaseAttachments, LeaseLookup } from '../../src/apply/index.js';
import type { KeyValue } from '../../src/generated/mvccpb/kv.js';
import type { ReadView, WriteTxn } from '../../src/mvcc/kv-view.js';
import { MvccStore } from '../../src/mvcc/mvcc-store.js';
import { bytes } from './requests.js';

export class KvFixture {
  private constructor(
    readonly store: MvccStore,
    private readonly backend: MemoryBackend,
  ) {}

  static open(): KvFixture {
    const backend = MemoryBackend.open();
    return new KvFixture(MvccStore.open(backend), backend);
  }

  get revision(): number {
    return this.store.currentRevision;
  }

  /** Runs `apply` in one write txn, ending it even when `apply` throws. */
  write<T>(apply: (view: WriteTxn) => T): T {
    const view = this.store.write();
    try {
      return apply(view);
    } finally {
      view.end();
    }
  }

  read(): ReadView {
    return this.store.read();
  }

  /** Seeds one key in its own revision, bypassing the applier. */
  seed(key: string, value: string, lease = 0n): void {
    this.write((view) => view.put(bytes(key), bytes(value), lease));
  }

  get(key: string): KeyValue | undefined {
    const options = { revision: 0, limit: 0, countOnly: false };
    return this.read().range(bytes(key), Buffer.alloc(0), options).kvs[0];
  }

  async close(): Promise<void> {
    await this.store.close();
    await this.backend.close();
  }
}

/** Opens a fixture for one test and closes it whatever the test does. */
export async function withKv(test: (kv: KvFixture) => void | Promise<void>): Promise<void> {
  const kv = KvFixture.open();
  try {
    await test(kv);
  } finally {
    await kv.close();
  }
}

/** Granted leases, and a log of attach/detach calls as "attach 5 key". */
export class RecordingLeases implements LeaseLookup, LeaseAttachments {
  readonly calls: string[] = [];
  private readonly granted: Set<bigint>;

  constructor(granted: readonly bigint[] = []) {
    this.granted = new Set(granted);
  }

  has(id: bigint): boolean {
    return this.granted.has(id);
  }

  hasAnyLease(): boolean {
    return this.granted.size > 0;
  }

  attach(id: bigint, key: Buffer): void {
    this.calls.push(`attach ${id} ${key.toString()}`);
  }

  detach(id: bigint, key: Buffer): void {
    this.calls.push(`detach ${id} ${key.toString()}`);
  }
}

export function keysOf(kvs: readonly KeyValue[]): string[] {
  return kvs.map((kv) => kv.key.toString());
}

export function valuesOf(kvs: readonly KeyValue[]): string[] {
  return kvs.map((kv) => kv.value.toString());
}
