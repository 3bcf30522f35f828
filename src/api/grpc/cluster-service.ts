// The Cluster service: member list and membership changes, each a conf change
// through the log (the server holds etcd's checks and errors).
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type {
  MemberAddRequest,
  MemberAddResponse,
  MemberListRequest,
  MemberListResponse,
  MemberPromoteRequest,
  MemberPromoteResponse,
  MemberRemoveRequest,
  MemberRemoveResponse,
  MemberUpdateRequest,
  MemberUpdateResponse,
} from '../../generated/etcdserverpb/rpc.js';
import type { Logger } from '../../log/logger.js';
import type { EtcdServer } from '../../server/etcd-server.js';
import { unary } from './unary-handler.js';

export function clusterServiceImplementation(server: EtcdServer, logger: Logger): UntypedServiceImplementation {
  return {
    memberList: unary<MemberListRequest, MemberListResponse>(logger, 'MemberList', async (request) => server.memberList(request)),
    memberAdd: unary<MemberAddRequest, MemberAddResponse>(logger, 'MemberAdd', async (request) => server.memberAdd(request)),
    memberRemove: unary<MemberRemoveRequest, MemberRemoveResponse>(logger, 'MemberRemove', async (request) => server.memberRemove(request)),
    memberUpdate: unary<MemberUpdateRequest, MemberUpdateResponse>(logger, 'MemberUpdate', async (request) => server.memberUpdate(request)),
    memberPromote: unary<MemberPromoteRequest, MemberPromoteResponse>(logger, 'MemberPromote', async (request) => server.memberPromote(request)),
  };
}
