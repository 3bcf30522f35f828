// The Maintenance service: status, alarms, hashes, defragmentation and leader moves.
import type { ServerWritableStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Decoded } from './safe-codec.js';
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
import type { CallCredentials } from '../../auth/auth-gate.js';
import type { GuardedServer } from '../../auth/guarded-server.js';
import type { EtcdServer } from '../../server/etcd-server.js';
import { moveLeaderDeadlineEpochMs } from '../../server/move-leader.js';
import { MaintenanceService } from '../../generated/etcdserverpb/rpc.js';
import { serverStream } from './server-stream.js';
import { withSafeDecoding } from './service-definition.js';
import { serializeSnapshotResponse } from './snapshot-response-encoding.js';
import { unary } from './unary-handler.js';

const NEVER_COMPACTED_REVISION = -1n;
/**
 * Snapshot messages (1 MiB blocks) queued ahead of HTTP/2 per stream: one being sent
 * and the next one built meanwhile. grpc-js alone would queue 16 before pushing back.
 */
const SNAPSHOT_MESSAGES_IN_FLIGHT_MAX = 2;

/** The Maintenance service definition, whose Snapshot replies copy their 1 MiB blobs once (see snapshot-response-encoding). */
export function maintenanceServiceDefinition(maxReceiveBytes: number): ReturnType<typeof withSafeDecoding<typeof MaintenanceService>> {
  const definition = withSafeDecoding(MaintenanceService, maxReceiveBytes);
  return { ...definition, snapshot: { ...definition.snapshot, responseSerialize: serializeSnapshotResponse } };
}

/** `stopping` ends a snapshot stream whose client stopped reading, so the server's read view can close. */
export function maintenanceServiceImplementation(server: EtcdServer, logger: Logger, guard: GuardedServer, stopping?: AbortSignal): UntypedServiceImplementation {
  // etcd's authMaintenanceServer: hashes, snapshots and defragmentation need root; status and alarms are open.
  const admin = async (call: CallCredentials): Promise<void> => guard.checkAdmin(await guard.gate.callerOf(call));
  return {
    status: unary<StatusRequest, StatusResponse>(logger, 'Status', async () => server.status()),
    alarm: unary<AlarmRequest, AlarmResponse>(logger, 'Alarm', async (request) => server.alarm(request)),
    hashKv: unary<HashKVRequest, HashKVResponse>(logger, 'HashKV', async (request, call) => {
      await admin(call);
      const answer = await server.hashKV(request);
      // etcd's store counts "never compacted" as compact revision -1 and answers with it.
      return answer.compactRevision === 0n ? { ...answer, compactRevision: NEVER_COMPACTED_REVISION } : answer;
    }),
    hash: unary<HashRequest, HashResponse>(logger, 'Hash', async (_request, call) => {
      await admin(call);
      return server.hash();
    }),
    snapshot: (call: ServerWritableStream<Decoded<SnapshotRequest>, SnapshotResponse>): void =>
      serverStream<SnapshotRequest, SnapshotResponse>(logger, 'Snapshot', async function* () {
        await admin(call);
        yield* server.snapshot();
      }, stopping, SNAPSHOT_MESSAGES_IN_FLIGHT_MAX)(call),
    defragment: unary<DefragmentRequest, DefragmentResponse>(logger, 'Defragment', async (_request, call) => {
      await admin(call);
      return server.defragment();
    }),
    moveLeader: unary<MoveLeaderRequest, MoveLeaderResponse>(logger, 'MoveLeader', async (request, call) => {
      await server.moveLeader(request.targetID, moveLeaderDeadlineEpochMs(call.getDeadline()));
      return { header: server.header() };
    }),
  };
}
