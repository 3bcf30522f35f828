// The Maintenance service: status, alarms, hashes, defragmentation and leader moves.
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type {
  AlarmRequest,
  AlarmResponse,
  DefragmentRequest,
  DefragmentResponse,
  HashKVRequest,
  HashKVResponse,
  HashRequest,
  HashResponse,
  MoveLeaderRequest,
  MoveLeaderResponse,
  SnapshotRequest,
  SnapshotResponse,
  StatusRequest,
  StatusResponse,
} from '../../generated/etcdserverpb/rpc.js';
import type { Logger } from '../../log/logger.js';
import type { EtcdServer } from '../../server/etcd-server.js';
import { moveLeaderDeadlineEpochMs } from '../../server/move-leader.js';
import { serverStream } from './server-stream.js';
import { unary } from './unary-handler.js';

export function maintenanceServiceImplementation(server: EtcdServer, logger: Logger): UntypedServiceImplementation {
  return {
    status: unary<StatusRequest, StatusResponse>(logger, 'Status', async () => server.status()),
    alarm: unary<AlarmRequest, AlarmResponse>(logger, 'Alarm', async (request) => server.alarm(request)),
    hashKv: unary<HashKVRequest, HashKVResponse>(logger, 'HashKV', async (request) => server.hashKV(request)),
    hash: unary<HashRequest, HashResponse>(logger, 'Hash', async () => server.hash()),
    snapshot: serverStream<SnapshotRequest, SnapshotResponse>(logger, 'Snapshot', () => server.snapshot()),
    defragment: unary<DefragmentRequest, DefragmentResponse>(logger, 'Defragment', async () => server.defragment()),
    moveLeader: unary<MoveLeaderRequest, MoveLeaderResponse>(logger, 'MoveLeader', async (request, call) => {
      await server.moveLeader(request.targetID, moveLeaderDeadlineEpochMs(call.getDeadline()));
      return { header: server.header() };
    }),
  };
}
