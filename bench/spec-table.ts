// The named benchmark specs: what each one sends, how many clients and connections it uses,
// and what it pre-loads. New kinds of load (watch, lease, cluster) add an Operation variant here.

/** One unary request per client turn. */
export type UnaryOperation =
  | { kind: 'put' }
  | { kind: 'range-key'; serializable: boolean }
  | { kind: 'range-prefix'; serializable: boolean; prefixKeys: number }
  | { kind: 'txn-put' };

/**
 * Watch delivery: `clients` watchers on watch streams, and `writers` paced clients putting
 * `eventsPerS` values in all. Each watcher watches one key of `watchedKeys` (watcher i the key
 * i mod watchedKeys), or the whole bench key prefix when watchedKeys is 'prefix'; every put
 * goes to a watched key, so each put is delivered to clients/watchedKeys watchers (or all).
 */
export interface WatchOperation {
  kind: 'watch';
  watchedKeys: number | 'prefix';
  eventsPerS: number;
  writers: number;
}

/** Lease keep-alive: `leases` leases granted before the run, renewed by the clients in turn. */
export interface LeaseKeepAliveOperation {
  kind: 'lease-keep-alive';
  leases: number;
  /** TTL of the pre-loaded leases, long enough that none expires during a run. */
  ttlS: number;
}

/** What one request of a spec does; a tagged union so every consumer switches exhaustively. */
export type Operation = UnaryOperation | WatchOperation | LeaseKeepAliveOperation;

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
/** issue #10: watch delivery is measured at 1,000 events/s. */
export const WATCH_EVENTS_PER_S_DEFAULT = 1_000;
/** Paced writers behind the events: one serial writer could not reach 1,000 puts/s at a few ms per put. */
export const WATCH_WRITERS_DEFAULT = 16;
const LEASE_TTL_S_DEFAULT = 3_600;

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
  {
    ...base,
    name: 'watch-16',
    summary: '16 watchers on the whole key prefix over 4 connections; 1,000 puts/s, each delivered to all 16 (16,000 events/s)',
    operation: { kind: 'watch', watchedKeys: 'prefix', eventsPerS: WATCH_EVENTS_PER_S_DEFAULT, writers: WATCH_WRITERS_DEFAULT },
    clients: 16,
    conns: 4,
  },
  {
    ...base,
    name: 'watch-10000',
    summary: '10,000 watchers, 10 on each of 1,000 keys, over 8 connections; 1,000 puts/s (10,000 events/s)',
    operation: { kind: 'watch', watchedKeys: 1_000, eventsPerS: WATCH_EVENTS_PER_S_DEFAULT, writers: WATCH_WRITERS_DEFAULT },
    clients: 10_000,
    conns: 8,
  },
  {
    ...base,
    name: 'lease-keepalive-10000',
    summary: '10,000 pre-granted leases renewed in turn by 64 clients over 4 keep-alive streams (one per connection)',
    operation: { kind: 'lease-keep-alive', leases: 10_000, ttlS: LEASE_TTL_S_DEFAULT },
    clients: 64,
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
    case 'watch':
      return `watch ${op.watchedKeys === 'prefix' ? 'the key prefix' : `one of ${op.watchedKeys} keys`} at ${op.eventsPerS} puts/s from ${op.writers} writers`;
    case 'lease-keep-alive':
      return `keep-alive of ${op.leases} leases`;
  }
}
