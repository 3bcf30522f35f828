// The JSON mapping of etcd's gateway (grpc-gateway with OrigName): keys are the
// .proto field names. ts-proto's toJSON writes lowerCamelCase names, so responses
// have their keys renamed back; requests are read by jsonpb-reader.ts.

/**
 * Every field name with an underscore in etcd's protos (the only names that
 * lowerCamelCase changes). test/gateway/gateway-json.test.ts checks this list
 * against proto/ so that a new field cannot be missed.
 */
export const UNDERSCORED_FIELD_NAMES: readonly string[] = [
  'cancel_reason', 'cancel_request', 'cluster_id', 'compact_revision', 'count_only', 'create_request',
  'create_revision', 'hash_revision', 'ignore_lease', 'ignore_value', 'keys_only', 'max_create_revision',
  'max_mod_revision', 'member_id', 'min_create_revision', 'min_mod_revision', 'mod_revision', 'no_password',
  'prev_kv', 'prev_kvs', 'progress_notify', 'progress_request', 'raft_term', 'range_end', 'remaining_TTL',
  'remaining_bytes', 'request_delete_range', 'request_put', 'request_range', 'request_txn',
  'response_delete_range', 'response_put', 'response_range', 'response_txn', 'sort_order', 'sort_target',
  'start_revision', 'watch_id',
];

/** protoc's json_name: drop each underscore and upper-case the letter after it. */
export function protoJsonName(fieldName: string): string {
  return fieldName.replace(/_([a-zA-Z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}

const PROTO_NAME_BY_JSON_NAME: ReadonlyMap<string, string> = new Map(
  UNDERSCORED_FIELD_NAMES.map((name) => [protoJsonName(name), name]),
);

/** Responses nest a few levels (a txn in a txn); anything deeper is left as it is rather than walked. */
const JSON_DEPTH_MAX = 256;

const NOTHING_KEPT: ReadonlySet<string> = new Set();

/**
 * Renames the keys of a ts-proto toJSON result to the .proto field names. keptTopLevel
 * names top-level fields spelled like another message's camelCase form (StatusResponse's
 * raftTerm beside ResponseHeader's raft_term), which must stay as they are.
 */
export function toOrigNames(value: unknown, keptTopLevel: ReadonlySet<string> = NOTHING_KEPT, depth = 0): unknown {
  if (depth > JSON_DEPTH_MAX) return value;
  if (Array.isArray(value)) return value.map((item: unknown) => toOrigNames(item, NOTHING_KEPT, depth + 1));
  if (typeof value !== 'object' || value === null) return value;
  const renamed: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const name = keptTopLevel.has(key) ? key : (PROTO_NAME_BY_JSON_NAME.get(key) ?? key);
    renamed[name] = toOrigNames(item, NOTHING_KEPT, depth + 1);
  }
  return renamed;
}
