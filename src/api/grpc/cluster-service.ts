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
import type { CallCredentials } from '../../auth/auth-gate.js';
import type { GuardedServer } from '../../auth/guarded-server.js';
import type { EtcdServer } from '../../server/etcd-server.js';
import { unary } from './unary-handler.js';

export function clusterServiceImplementation(server: EtcdServer, logger: Logger, guard: GuardedServer): UntypedServiceImplementation {
  // Membership changes need root once auth is on (etcd checks at the API layer); the list is open.
  const admin = async (call: CallCredentials): Promise<void> => guard.checkAdmin(await guard.gate.callerOf(call));
  return {
    memberList: unary<MemberListRequest, MemberListResponse>(logger, 'MemberList', async (request) => server.memberList(request)),
    memberAdd: unary<MemberAddRequest, MemberAddResponse>(logger, 'MemberAdd', async (request, call) => {
      await admin(call);
      return server.memberAdd(request);
    }),
    memberRemove: unary<MemberRemoveRequest, MemberRemoveResponse>(logger, 'MemberRemove', async (request, call) => {
      await admin(call);
      return server.memberRemove(request);
    }),
    memberUpdate: unary<MemberUpdateRequest, MemberUpdateResponse>(logger, 'MemberUpdate', async (request, call) => {
      await admin(call);
      return server.memberUpdate(request);
    }),
    memberPromote: unary<MemberPromoteRequest, MemberPromoteResponse>(logger, 'MemberPromote', async (request, call) => {
      await admin(call);
      return server.memberPromote(request);
    }),
  };
}
