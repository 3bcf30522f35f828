// Small helpers for MVCC tests: byte keys from strings and one-line writes.
import type { KeyValue } from '../../src/generated/mvccpb/kv.js';
import type { RangeOptions } from '../../src/mvcc/kv-view.js';
import type { MvccStore } from '../../src/mvcc/mvcc-store.js';

export const b = (s: string): Buffer => Buffer.from(s, 'latin1');
export const NONE = Buffer.alloc(0);
export const FROM_KEY = Buffer.from([0]);
export const ALL = { key: Buffer.from([0]), end: Buffer.from([0]) };
export const AT_HEAD: RangeOptions = { revision: 0, limit: 0, countOnly: false };

export function at(revision: number): RangeOptions {
  return { revision, limit: 0, countOnly: false };
}

/** One write txn with one put; returns the new revision. */
export function put(store: MvccStore, key: string, value: string, lease = 0n): number {
  const txn = store.write();
  txn.put(b(key), b(value), lease);
  return txn.end().revision;
}

export function del(store: MvccStore, key: string, end = ''): number {
  const txn = store.write();
  txn.deleteRange(b(key), b(end));
  return txn.end().revision;
}

/** A kv reduced to what a user compares: key, value and the three counters. */
export function brief(kv: KeyValue | undefined): string {
  if (kv === undefined) return 'none';
  return `${kv.key.toString()}=${kv.value.toString()} c${kv.createRevision} m${kv.modRevision} v${kv.version}`;
}

export function getAt(store: MvccStore, key: string, revision = 0): string {
  return brief(store.read().range(b(key), NONE, at(revision)).kvs[0]);
}

export function keysIn(store: MvccStore, key: Buffer, end: Buffer, revision = 0): string[] {
  return store.read().range(key, end, at(revision)).kvs.map((kv) => kv.key.toString('latin1'));
}
