// The Election service (v3electionpb.Election). etcd serves it through an internal
// client, so failures reach callers as that client saw them: status UNKNOWN with
// the error's text ("election: not leader", "etcdserver: requested lease not found").
import { status, type ServerUnaryCall, type ServerWritableStream, type ServiceError, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { ElectionError } from '../../election/election-error.js';
import { campaign, currentLeader, proclaim, resign } from '../../election/election.js';
import { observeLeader } from '../../election/leader-observer.js';
import { EtcdError, isEtcdError } from '../../errors/etcd-error.js';
import { ERROR_TABLE } from '../../errors/error-table.js';
import type {
  CampaignRequest,
  CampaignResponse,
  LeaderKey,
  LeaderRequest,
  LeaderResponse,
  ProclaimRequest,
  ProclaimResponse,
  ResignRequest,
  ResignResponse,
} from '../../generated/v3electionpb/v3election.js';
import { sessionLease } from '../../lock/concurrency-server.js';
import type { Logger } from '../../log/logger.js';
import type { Caller } from '../../auth/caller.js';
import type { ConcurrencyView, GuardedServer } from '../../auth/guarded-server.js';
import type { EtcdServer } from '../../server/etcd-server.js';
import { GrpcStatusError, toServiceError } from './map-error.js';
import type { Decoded } from './safe-codec.js';
import { unary } from './unary-handler.js';

/**
 * Runs a handler, turning etcd and election errors into what etcd's internal client
 * reports. A call ended because this server is stopping says so, so clients go elsewhere.
 */
export async function asInternalClient<T>(stopping: AbortSignal, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (stopping.aborted) throw new EtcdError('Stopped');
    if (error instanceof ElectionError) throw new GrpcStatusError(status.UNKNOWN, error.text);
    if (isEtcdError(error)) throw new GrpcStatusError(status.UNKNOWN, ERROR_TABLE[error.code].message);
    throw error;
  }
}

/** Aborts when the caller cancels, its deadline passes (the transport then reports the call cancelled) or the server stops, so a blocked call never outlives any of them. */
export function callSignal(
  call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>,
  stopping: AbortSignal,
): { signal: AbortSignal; release(): void } {
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  call.once('cancelled', abort);
  stopping.addEventListener('abort', abort, { once: true });
  if (stopping.aborted) abort();
  return {
    signal: controller.signal,
    release: () => {
      call.off('cancelled', abort);
      stopping.removeEventListener('abort', abort);
    },
  };
}

async function campaignCall(
  server: ConcurrencyView,
  request: CampaignRequest,
  call: ServerUnaryCall<unknown, unknown>,
  stopping: AbortSignal,
): Promise<CampaignResponse> {
  const { signal, release } = callSignal(call, stopping);
  try {
    const lease = await sessionLease(server, request.lease);
    return await campaign(server, request.name, lease, request.value, signal);
  } finally {
    release();
  }
}

function observe(
  guard: GuardedServer,
  logger: Logger,
  stopping: AbortSignal,
): (call: ServerWritableStream<Decoded<LeaderRequest>, LeaderResponse>) => void {
  const server = guard.concurrency;
  return (call) => {
    const decoded = call.request;
    if (!decoded.ok) {
      call.emit('error', toServiceError(decoded.error, logger, 'Observe') as ServiceError);
      return;
    }
    const { signal, release } = callSignal(call, stopping);
    const run = async (): Promise<void> => {
      for await (const response of observeLeader(server, decoded.value.name, signal)) {
        if (!call.write(response)) await new Promise<void>((resolve) => call.once('drain', () => resolve()));
      }
    };
    // Through a promise, so a refused token ends the stream with its status rather than throwing here.
    new Promise<Caller | null>((resolve) => resolve(guard.gate.callerOf(call)))
      .then((caller) => guard.runAs(caller, run))
      .then(() => {
        if (stopping.aborted) call.emit('error', toServiceError(new EtcdError('Stopped'), logger, 'Observe') as ServiceError);
        else if (!signal.aborted) call.end();
      })
      .catch((error: unknown) => {
        if (!signal.aborted) call.emit('error', toServiceError(error, logger, 'Observe') as ServiceError);
      })
      .finally(release);
  };
}

/** `stopping` aborts when the client listener closes: blocked campaigns and observers end then. */
export function electionServiceImplementation(
  _server: EtcdServer,
  logger: Logger,
  stopping: AbortSignal,
  guard: GuardedServer,
): UntypedServiceImplementation {
  // etcd serves Election through an internal client carrying the caller's token: its KV requests are the caller's.
  const server = guard.concurrency;
  // A leader key given empty fails etcd's KV checks (its txn compares that key) before any token check.
  const asCaller = async <T>(call: ServerUnaryCall<unknown, unknown>, body: () => Promise<T>, leader?: LeaderKey): Promise<T> =>
    asInternalClient(stopping, async () => {
      if (leader !== undefined && leader.key.length === 0) throw new EtcdError('EmptyKey');
      return guard.runAs(await guard.gate.callerOf(call), body);
    });
  return {
    campaign: unary<CampaignRequest, CampaignResponse>(logger, 'Campaign', (request, call) =>
      asCaller(call, () => campaignCall(server, request, call, stopping)),
    ),
    proclaim: unary<ProclaimRequest, ProclaimResponse>(logger, 'Proclaim', (request, call) =>
      asCaller(call, async () => ({ header: await proclaim(server, request.leader, request.value) }), request.leader),
    ),
    leader: unary<LeaderRequest, LeaderResponse>(logger, 'Leader', (request, call) =>
      asCaller(call, () => currentLeader(server, request.name)),
    ),
    observe: observe(guard, logger, stopping),
    resign: unary<ResignRequest, ResignResponse>(logger, 'Resign', (request, call) =>
      asCaller(call, async () => ({ header: await resign(server, request.leader) }), request.leader),
    ),
  };
}
