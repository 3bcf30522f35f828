// The named benchmark specs: what each one sends, how many clients and connections it uses,
// and what it pre-loads. New kinds of load (watch, lease, cluster) add an Operation variant here.

/** What one request of a spec does; a tagged union so every consumer switches exhaustively. */
export type Operation =
  | { kind: 'put' }
  | { kind: 'range-key'; serializable: boolean }
  | { kind: 'range-prefix'; serializable: boolean; prefixKeys: number }
  | { kind: 'txn-put' };

export interface Spec {
  name: string;
  summary: string;
  operation: Operation;
  clients: number;
  conns: number;
  valueBytes: number;
  keySpace: number;
  /** Members per server under test; compare starts single members today. */
  clusterSize: number;
}

export const VALUE_BYTES_DEFAULT = 256;
export const KEY_SPACE_DEFAULT = 10_000;
export const PREFIX_KEYS_DEFAULT = 1_000;

const base = { valueBytes: VALUE_BYTES_DEFAULT, keySpace: KEY_SPACE_DEFAULT, clusterSize: 1 };

export const SPECS: readonly Spec[] = [
  { ...base, name: 'put-1', summary: 'put of a random key, one client on one connection', operation: { kind: 'put' }, clients: 1, conns: 1 },
  { ...base, name: 'put-64', summary: 'put of a random key, 64 clients over 8 connections', operation: { kind: 'put' }, clients: 64, conns: 8 },
  {
    ...base,
    name: 'range-lin-64',
    summary: 'linearizable range of one pre-loaded key, 64 clients over 8 connections',
    operation: { kind: 'range-key', serializable: false },
    clients: 64,
    conns: 8,
  },
  {
    ...base,
    name: 'range-ser-64',
    summary: 'serializable range of one pre-loaded key, 64 clients over 8 connections',
    operation: { kind: 'range-key', serializable: true },
    clients: 64,
    conns: 8,
  },
  {
    ...base,
    name: 'range-prefix-1000',
    summary: 'linearizable range of 1,000 pre-loaded keys by prefix, 16 clients over 4 connections',
    operation: { kind: 'range-prefix', serializable: false, prefixKeys: PREFIX_KEYS_DEFAULT },
    clients: 16,
    conns: 4,
  },
  {
    ...base,
    name: 'txn-16',
    summary: 'txn: if version(k) > 0 then put k else put k, 16 clients over 4 connections',
    operation: { kind: 'txn-put' },
    clients: 16,
    conns: 4,
  },
];

export function findSpec(name: string): Spec | undefined {
  return SPECS.find((s) => s.name === name);
}

export function describeOperation(op: Operation): string {
  switch (op.kind) {
    case 'put':
      return 'put';
    case 'range-key':
      return `range one key (${op.serializable ? 'serializable' : 'linearizable'})`;
    case 'range-prefix':
      return `range ${op.prefixKeys} keys by prefix (${op.serializable ? 'serializable' : 'linearizable'})`;
    case 'txn-put':
      return 'txn compare version + put';
  }
}
