// A bbolt file that is well formed but is not an etcd snapshot we can take in
// (a `key` bucket holding something other than revisions, a target that is not empty).
export class EtcdSnapshotError extends Error {
  override readonly name = 'EtcdSnapshotError';
}
