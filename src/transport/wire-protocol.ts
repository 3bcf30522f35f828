// The names both ends of a peer connection agree on: paths, headers, status codes
// and the text form of ids. etcd-ts members only talk to etcd-ts members. Message
// streams have connections of their own (message-stream-preface.ts); the HTTP/2
// paths here serve snapshots, the member list and HashKV.
import type { MemberId } from '../raft/types.js';

/** One request per snapshot; the body is one encoded MsgSnap. */
export const SNAPSHOT_PATH = '/raft/snapshot';

export const HEADER_CLUSTER_ID = 'x-etcd-cluster-id';
export const HEADER_FROM = 'x-server-from';
export const HEADER_TO = 'x-raft-to';
/** Bumped whenever the body format changes, so mixed versions refuse each other cleanly. */
export const HEADER_PROTOCOL = 'x-etcd-ts-peer-protocol';
export const PROTOCOL_VERSION = '2';

/** Message stream accepted: frames may follow. */
export const STATUS_STREAM_OK = 200;
/** Snapshot received and handed to raft. */
export const STATUS_SNAPSHOT_OK = 204;
export const STATUS_BAD_REQUEST = 400;
export const STATUS_NOT_FOUND = 404;
/** Another cluster, another member, or another protocol version (as etcd's 412). */
export const STATUS_PRECONDITION_FAILED = 412;
export const STATUS_TOO_LARGE = 413;
export const STATUS_BUSY = 503;

/** Frame header on a message stream: the encoded message length as a 32-bit big-endian unsigned integer. */
export const FRAME_HEADER_BYTES = 4;

/** Ids in hex, as etcd prints member and cluster ids. */
export function idToHex(id: bigint): string {
  return id.toString(16);
}

/** Parses a hex id header; null when absent or not a 64-bit hex number. */
export function parseHexId(value: unknown): MemberId | null {
  if (typeof value !== 'string' || !/^[0-9a-f]{1,16}$/i.test(value)) return null;
  return BigInt(`0x${value}`);
}

/** GET: the cluster's member list (etcd serves the same path on its peer port). */
export const MEMBERS_PATH = '/members';
/** etcd's corruption checks ask a peer for its HashKV here. */
export const HASHKV_PATH = '/members/hashkv';

/** The caller was removed from the cluster (etcd answers 410 Gone); it must stop. */
export const STATUS_MEMBER_REMOVED = 410;
