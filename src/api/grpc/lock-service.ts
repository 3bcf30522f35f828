// The Lock service (v3lockpb.Lock): Lock blocks until the caller's key is the
// oldest under the lock's name (or the call is cancelled); Unlock deletes the key.
import type { ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { LockRequest, LockResponse, UnlockRequest, UnlockResponse } from '../../generated/v3lockpb/v3lock.js';
import { sessionLease, type ConcurrencyServer } from '../../lock/concurrency-server.js';
import { acquireLock } from '../../lock/mutex.js';
import type { Logger } from '../../log/logger.js';
import { checkDeleteRequest } from '../../apply/validate-request.js';
import type { GuardedServer } from '../../auth/guarded-server.js';
import type { EtcdServer } from '../../server/etcd-server.js';
import { asInternalClient, callSignal } from './election-service.js';
import { unary } from './unary-handler.js';

async function lock(server: ConcurrencyServer, request: LockRequest, call: ServerUnaryCall<unknown, unknown>, stopping: AbortSignal): Promise<LockResponse> {
  const { signal, release } = callSignal(call, stopping);
  try {
    const lease = await sessionLease(server, request.lease);
    return await acquireLock(server, request.name, lease, signal);
  } finally {
    release();
  }
}

/** `stopping` aborts when the client listener closes: waiting lockers leave the queue then. */
export function lockServiceImplementation(_server: EtcdServer, logger: Logger, stopping: AbortSignal, guard: GuardedServer): UntypedServiceImplementation {
  // etcd serves Lock through an internal client carrying the caller's token: its KV requests are the caller's.
  const server = guard.concurrency;
  return {
    lock: unary<LockRequest, LockResponse>(logger, 'Lock', async (request, call) => {
      return asInternalClient(stopping, async () => guard.runAs(await guard.gate.callerOf(call), () => lock(server, request, call, stopping)));
    }),
    unlock: unary<UnlockRequest, UnlockResponse>(logger, 'Unlock', async (request, call) => {
      const deletion = { key: request.key, rangeEnd: Buffer.alloc(0), prevKv: false };
      return asInternalClient(stopping, async () => {
        // etcd's internal client meets the KV API's checks (an empty key) before any token check.
        checkDeleteRequest(deletion);
        return guard.runAs(await guard.gate.callerOf(call), async () => {
          const response = await server.deleteRange(deletion);
          return { header: response.header };
        });
      });
    }),
  };
}
