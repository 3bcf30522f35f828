// The TypeScript etcd client's public surface: the Etcd class, its option and result
// types, typed errors, the txn builders, and the recipes.
export { Etcd } from './etcd.js';
export type { EtcdOptions, CallOptions, TlsOptions } from './client-options.js';
export { prefixEnd, toBuffer, type Bytes, type Int64 } from './bytes.js';
export * from './client-errors.js';
export { KvClient, PAGE_SIZE_DEFAULT, type PageOptions } from './kv-client.js';
export type {
  KeyValue,
  KeySelector,
  RangeOptions,
  PutOptions,
  DeleteOptions,
  RangeResult,
  PutResult,
  DeleteResult,
  SortOrder,
  SortTarget,
} from './kv-requests.js';
export { TxnBuilder, cmp, op, type CompareOperator, type OpResult, type TxnResult } from './txn-builder.js';
export { Watcher, type WatchOptions, type WatchEvent, type WatchBatch } from './watcher.js';
export { LeaseClient, type GrantResult, type TimeToLiveResult } from './lease-client.js';
export { LeaseKeepAlive } from './lease-keep-alive.js';
export { ClusterClient, type Member } from './cluster-client.js';
export { MaintenanceClient, AlarmType } from './maintenance-client.js';
export { AuthClient, type PermissionType } from './auth-client.js';
export { LockServiceClient, ElectionServiceClient, type LeaderKey } from './lock-election-services.js';
export * from './recipes/index.js';
