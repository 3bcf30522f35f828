// The Lease service: grant and revoke go through the log; keep-alive, time-to-live
// and the lease list are answered by the leader's lessor, after it has applied
// everything committed (a follower forwards them). An unknown lease reads as TTL -1.
import type { ServerDuplexStream, ServiceError, UntypedServiceImplementation } from '@grpc/grpc-js';
import type {
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseLeasesRequest,
  LeaseLeasesResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
} from '../../generated/etcdserverpb/rpc.js';
import { EtcdError, isEtcdError } from '../../errors/etcd-error.js';
import { KeepAliveStream } from '../../lease/keep-alive-stream.js';
import { LeaseForwarder, type LeaderLocator } from '../../lease/lease-forwarder.js';
import type { Logger } from '../../log/logger.js';
import type { GuardedServer } from '../../auth/guarded-server.js';
import type { EtcdServer } from '../../server/etcd-server.js';
import { toServiceError } from './map-error.js';
import type { Decoded } from './safe-codec.js';
import { unary } from './unary-handler.js';

/** Whether this member leads (and has applied everything committed); false sends the call to the leader. */
async function leadsLeases(server: EtcdServer): Promise<boolean> {
  try {
    await server.leaseLeaderBarrier();
    return true;
  } catch (error) {
    if (isEtcdError(error) && error.code === 'NotLeader') return false;
    throw error;
  }
}

function leaderLocator(server: EtcdServer): LeaderLocator {
  return {
    leaderEndpoint: async () => {
      const { leader } = await server.status();
      const { members } = await server.memberList({ linearizable: false });
      const url = members.find((member) => member.ID === leader)?.clientURLs[0];
      if (leader === 0n || url === undefined) throw new EtcdError('NoLeader');
      return new URL(url).host;
    },
  };
}

async function timeToLive(server: EtcdServer, forwarder: LeaseForwarder, request: LeaseTimeToLiveRequest): Promise<LeaseTimeToLiveResponse> {
  if (!(await leadsLeases(server))) return { ...(await forwarder.timeToLive(request)), header: server.header() };
  const found = server.lessor.timeToLive(request.ID, request.keys);
  if (found === undefined) return { header: server.header(), ID: request.ID, TTL: -1n, grantedTTL: 0n, keys: [] };
  return {
    header: server.header(),
    ID: request.ID,
    TTL: BigInt(found.remainingSeconds),
    grantedTTL: BigInt(found.grantedSeconds),
    keys: found.keys,
  };
}

function keepAlive(
  server: EtcdServer,
  forwarder: LeaseForwarder,
  logger: Logger,
  call: ServerDuplexStream<Decoded<LeaseKeepAliveRequest>, LeaseKeepAliveResponse>,
): void {
  let failed = false;
  const fail = (error: unknown): void => {
    if (failed) return;
    failed = true;
    call.emit('error', toServiceError(error, logger, 'LeaseKeepAlive') as ServiceError);
  };
  const stream = new KeepAliveStream(call, {
    header: () => server.header(),
    renew: async (id) => ((await leadsLeases(server)) ? server.lessor.renew(id) : forwarder.renew(id)),
  }, fail);
  call.on('data', (decoded: Decoded<LeaseKeepAliveRequest>) => {
    if (decoded.ok) stream.push(decoded.value);
    else fail(decoded.error);
  });
}

export function leaseServiceImplementation(server: EtcdServer, logger: Logger, guard: GuardedServer): UntypedServiceImplementation {
  const forwarder = new LeaseForwarder(leaderLocator(server));
  return {
    leaseGrant: unary<LeaseGrantRequest, LeaseGrantResponse>(logger, 'LeaseGrant', async (request, call) => {
      // Open to every user, but a token that is sent must be valid: etcd resolves it for every request it proposes.
      await guard.gate.callerOf(call);
      return server.leaseGrant(request);
    }),
    leaseRevoke: unary<LeaseRevokeRequest, LeaseRevokeResponse>(logger, 'LeaseRevoke', async (request, call) =>
      guard.leaseRevoke(await guard.gate.callerOf(call), request),
    ),
    leaseTimeToLive: unary<LeaseTimeToLiveRequest, LeaseTimeToLiveResponse>(logger, 'LeaseTimeToLive', async (request, call) => {
      // Key names are data: listing them needs read permission on each (etcd's fix for CVE-2023-32082).
      if (request.keys) guard.checkLeaseKeysReadable(await guard.gate.callerOf(call), request.ID);
      return timeToLive(server, forwarder, request);
    }),
    leaseLeases: unary<LeaseLeasesRequest, LeaseLeasesResponse>(logger, 'LeaseLeases', async () => ({
      header: server.header(),
      leases: server.lessor.list().map((ID) => ({ ID })),
    })),
    leaseKeepAlive: (call: ServerDuplexStream<Decoded<LeaseKeepAliveRequest>, LeaseKeepAliveResponse>): void =>
      keepAlive(server, forwarder, logger, call),
  };
}
