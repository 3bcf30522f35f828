// The Cluster service. Membership changes arrive with the raft cluster work;
// until then grpc-js answers them UNIMPLEMENTED, as an honest server should.
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { MemberListRequest, MemberListResponse } from '../../generated/etcdserverpb/rpc.js';
import type { Logger } from '../../log/logger.js';
import type { EtcdServer } from '../../server/etcd-server.js';
import { unary } from './unary-handler.js';

export function clusterServiceImplementation(server: EtcdServer, logger: Logger): UntypedServiceImplementation {
  return {
    memberList: unary<MemberListRequest, MemberListResponse>(logger, 'MemberList', async (request) => server.memberList(request)),
  };
}
