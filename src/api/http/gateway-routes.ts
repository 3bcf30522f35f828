// The grpc-gateway routes of etcd v3.5 (from its .proto http annotations): each
// HTTP path names one gRPC method and the message types its JSON maps to.
import type { BinaryReader } from '@bufbuild/protobuf/wire';
import * as rpc from '../../generated/etcdserverpb/rpc.js';
import * as election from '../../generated/v3electionpb/v3election.js';
import * as lock from '../../generated/v3lockpb/v3lock.js';
import { METHOD_REQUEST_TYPES } from '../../generated/message-descriptors.js';
import { WRAPPED_DECODE_DEPTH_MAX, deepProtoReader } from '../../util/deep-proto-reader.js';
import { toOrigNames } from './gateway-json.js';
import type { JsonNode } from './go-json-scanner.js';
import { readRequestBody, readRequestValue, type ProtoObject } from './jsonpb-reader.js';

export type GatewayCallKind = 'unary' | 'server_stream' | 'bidi_stream';

export interface GatewayRoute {
  readonly grpcPath: string;
  readonly kind: GatewayCallKind;
  /** A whole request body (its first JSON value) to the request's wire bytes; throws etcd's decode errors. */
  encodeRequest(body: Buffer): Buffer;
  /** One JSON value of a request stream to the request's wire bytes. */
  encodeRequestValue(node: JsonNode): Buffer;
  /** A response's wire bytes to etcd's gateway JSON. */
  decodeResponse(bytes: Buffer): unknown;
}

interface JsonMessage<T> {
  fromPartial(object: ProtoObject): T;
  toJSON(message: T): unknown;
  encode(message: T): { finish(): Uint8Array };
  decode(input: BinaryReader): T;
}

interface MethodShape {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

function route<Req, Res>(method: MethodShape, request: JsonMessage<Req>, response: JsonMessage<Res>, keptTopLevel: readonly string[] = []): GatewayRoute {
  const kept = new Set(keptTopLevel);
  const kind: GatewayCallKind = method.requestStream ? 'bidi_stream' : method.responseStream ? 'server_stream' : 'unary';
  const requestType = METHOD_REQUEST_TYPES[method.path];
  if (requestType === undefined) throw new Error(`no request descriptor for ${method.path}`);
  const encode = (object: ProtoObject): Buffer => Buffer.from(request.encode(request.fromPartial(object)).finish());
  return {
    grpcPath: method.path,
    kind,
    encodeRequest: (body) => encode(readRequestBody(body, requestType)),
    encodeRequestValue: (node) => encode(readRequestValue(node, requestType)),
    decodeResponse: (bytes) => toOrigNames(response.toJSON(response.decode(deepProtoReader(bytes, WRAPPED_DECODE_DEPTH_MAX))), kept),
  };
}

const kv = rpc.KVService;
const lease = rpc.LeaseService;
const cluster = rpc.ClusterService;
const maint = rpc.MaintenanceService;
const auth = rpc.AuthService;
const elect = election.ElectionService;

/** Paths under /v3 (also served under /v3beta, as etcd 3.4 did). */
export const GATEWAY_ROUTES: ReadonlyMap<string, GatewayRoute> = new Map([
  ['/kv/range', route(kv.range, rpc.RangeRequest, rpc.RangeResponse)],
  ['/kv/put', route(kv.put, rpc.PutRequest, rpc.PutResponse)],
  ['/kv/deleterange', route(kv.deleteRange, rpc.DeleteRangeRequest, rpc.DeleteRangeResponse)],
  ['/kv/txn', route(kv.txn, rpc.TxnRequest, rpc.TxnResponse)],
  ['/kv/compaction', route(kv.compact, rpc.CompactionRequest, rpc.CompactionResponse)],
  ['/watch', route(rpc.WatchService.watch, rpc.WatchRequest, rpc.WatchResponse)],
  ['/lease/grant', route(lease.leaseGrant, rpc.LeaseGrantRequest, rpc.LeaseGrantResponse)],
  ['/lease/revoke', route(lease.leaseRevoke, rpc.LeaseRevokeRequest, rpc.LeaseRevokeResponse)],
  ['/kv/lease/revoke', route(lease.leaseRevoke, rpc.LeaseRevokeRequest, rpc.LeaseRevokeResponse)],
  ['/lease/keepalive', route(lease.leaseKeepAlive, rpc.LeaseKeepAliveRequest, rpc.LeaseKeepAliveResponse)],
  ['/lease/timetolive', route(lease.leaseTimeToLive, rpc.LeaseTimeToLiveRequest, rpc.LeaseTimeToLiveResponse)],
  ['/kv/lease/timetolive', route(lease.leaseTimeToLive, rpc.LeaseTimeToLiveRequest, rpc.LeaseTimeToLiveResponse)],
  ['/lease/leases', route(lease.leaseLeases, rpc.LeaseLeasesRequest, rpc.LeaseLeasesResponse)],
  ['/kv/lease/leases', route(lease.leaseLeases, rpc.LeaseLeasesRequest, rpc.LeaseLeasesResponse)],
  ['/cluster/member/add', route(cluster.memberAdd, rpc.MemberAddRequest, rpc.MemberAddResponse)],
  ['/cluster/member/remove', route(cluster.memberRemove, rpc.MemberRemoveRequest, rpc.MemberRemoveResponse)],
  ['/cluster/member/update', route(cluster.memberUpdate, rpc.MemberUpdateRequest, rpc.MemberUpdateResponse)],
  ['/cluster/member/list', route(cluster.memberList, rpc.MemberListRequest, rpc.MemberListResponse)],
  ['/cluster/member/promote', route(cluster.memberPromote, rpc.MemberPromoteRequest, rpc.MemberPromoteResponse)],
  ['/maintenance/alarm', route(maint.alarm, rpc.AlarmRequest, rpc.AlarmResponse)],
  ['/maintenance/status', route(maint.status, rpc.StatusRequest, rpc.StatusResponse, ['raftTerm'])],
  ['/maintenance/defragment', route(maint.defragment, rpc.DefragmentRequest, rpc.DefragmentResponse)],
  ['/maintenance/hash', route(maint.hash, rpc.HashRequest, rpc.HashResponse)],
  // etcd annotates HashKV with /maintenance/hash too (shadowed by Hash there); this path makes it reachable.
  ['/maintenance/hashkv', route(maint.hashKv, rpc.HashKVRequest, rpc.HashKVResponse)],
  ['/maintenance/snapshot', route(maint.snapshot, rpc.SnapshotRequest, rpc.SnapshotResponse)],
  ['/maintenance/transfer-leadership', route(maint.moveLeader, rpc.MoveLeaderRequest, rpc.MoveLeaderResponse)],
  ['/maintenance/downgrade', route(maint.downgrade, rpc.DowngradeRequest, rpc.DowngradeResponse)],
  ['/auth/enable', route(auth.authEnable, rpc.AuthEnableRequest, rpc.AuthEnableResponse)],
  ['/auth/disable', route(auth.authDisable, rpc.AuthDisableRequest, rpc.AuthDisableResponse)],
  ['/auth/status', route(auth.authStatus, rpc.AuthStatusRequest, rpc.AuthStatusResponse)],
  ['/auth/authenticate', route(auth.authenticate, rpc.AuthenticateRequest, rpc.AuthenticateResponse)],
  ['/auth/user/add', route(auth.userAdd, rpc.AuthUserAddRequest, rpc.AuthUserAddResponse)],
  ['/auth/user/get', route(auth.userGet, rpc.AuthUserGetRequest, rpc.AuthUserGetResponse)],
  ['/auth/user/list', route(auth.userList, rpc.AuthUserListRequest, rpc.AuthUserListResponse)],
  ['/auth/user/delete', route(auth.userDelete, rpc.AuthUserDeleteRequest, rpc.AuthUserDeleteResponse)],
  ['/auth/user/changepw', route(auth.userChangePassword, rpc.AuthUserChangePasswordRequest, rpc.AuthUserChangePasswordResponse)],
  ['/auth/user/grant', route(auth.userGrantRole, rpc.AuthUserGrantRoleRequest, rpc.AuthUserGrantRoleResponse)],
  ['/auth/user/revoke', route(auth.userRevokeRole, rpc.AuthUserRevokeRoleRequest, rpc.AuthUserRevokeRoleResponse)],
  ['/auth/role/add', route(auth.roleAdd, rpc.AuthRoleAddRequest, rpc.AuthRoleAddResponse)],
  ['/auth/role/get', route(auth.roleGet, rpc.AuthRoleGetRequest, rpc.AuthRoleGetResponse)],
  ['/auth/role/list', route(auth.roleList, rpc.AuthRoleListRequest, rpc.AuthRoleListResponse)],
  ['/auth/role/delete', route(auth.roleDelete, rpc.AuthRoleDeleteRequest, rpc.AuthRoleDeleteResponse)],
  ['/auth/role/grant', route(auth.roleGrantPermission, rpc.AuthRoleGrantPermissionRequest, rpc.AuthRoleGrantPermissionResponse)],
  ['/auth/role/revoke', route(auth.roleRevokePermission, rpc.AuthRoleRevokePermissionRequest, rpc.AuthRoleRevokePermissionResponse)],
  ['/election/campaign', route(elect.campaign, election.CampaignRequest, election.CampaignResponse)],
  ['/election/proclaim', route(elect.proclaim, election.ProclaimRequest, election.ProclaimResponse)],
  ['/election/leader', route(elect.leader, election.LeaderRequest, election.LeaderResponse)],
  ['/election/observe', route(elect.observe, election.LeaderRequest, election.LeaderResponse)],
  ['/election/resign', route(elect.resign, election.ResignRequest, election.ResignResponse)],
  ['/lock/lock', route(lock.LockService.lock, lock.LockRequest, lock.LockResponse)],
  ['/lock/unlock', route(lock.LockService.unlock, lock.UnlockRequest, lock.UnlockResponse)],
]);

/** The route for a request path, if it is a gateway path ("/v3/kv/range" or "/v3beta/kv/range"). */
export function gatewayRoute(pathname: string): GatewayRoute | undefined {
  const match = /^\/v3(?:beta)?(\/.*)$/.exec(pathname);
  return match?.[1] === undefined ? undefined : GATEWAY_ROUTES.get(match[1]);
}
