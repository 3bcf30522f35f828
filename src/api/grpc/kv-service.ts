// The KV service: validate as etcd's API layer does, hand the request to the
// server, map errors. Headers are filled by the server, which knows the revision.
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { checkDeleteRequest, checkPutRequest, checkRangeRequest, checkTxnRequest } from '../../apply/validate-request.js';
import { KVService } from '../../generated/etcdserverpb/rpc.js';
import type {
  CompactionRequest,
  CompactionResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from '../../generated/etcdserverpb/rpc.js';
import type { Logger } from '../../log/logger.js';
import type { GuardedServer } from '../../auth/guarded-server.js';
import type { EtcdServer } from '../../server/etcd-server.js';
import { serializeRangeResponse } from '../../mvcc/encoded-range-response.js';
import { rememberWireBytes } from '../../server/wire-request-bytes.js';
import type { Decoded } from './safe-codec.js';
import { withSafeDecoding } from './service-definition.js';
import { unary } from './unary-handler.js';

/**
 * The KV service definition, whose Range replies embed stored records undecoded (see
 * encoded-range-response) and whose Txn and DeleteRange requests keep the bytes they
 * arrived in, to be proposed as they are (see wire-request-bytes).
 */
export function kvServiceDefinition(maxReceiveBytes: number): ReturnType<typeof withSafeDecoding<typeof KVService>> {
  const definition = withSafeDecoding(KVService, maxReceiveBytes);
  return {
    ...definition,
    range: { ...definition.range, responseSerialize: serializeRangeResponse },
    txn: { ...definition.txn, requestDeserialize: keepingWireBytes(definition.txn.requestDeserialize) },
    deleteRange: { ...definition.deleteRange, requestDeserialize: keepingWireBytes(definition.deleteRange.requestDeserialize) },
  };
}

function keepingWireBytes<T extends object>(deserialize: (bytes: Buffer) => Decoded<T>): (bytes: Buffer) => Decoded<T> {
  return (bytes) => {
    const decoded = deserialize(bytes);
    if (decoded.ok) rememberWireBytes(decoded.value, bytes);
    return decoded;
  };
}

export function kvServiceImplementation(server: EtcdServer, logger: Logger, guard: GuardedServer): UntypedServiceImplementation {
  return {
    range: unary<RangeRequest, RangeResponse>(logger, 'Range', async (request, call) => {
      checkRangeRequest(request);
      return guard.range(await guard.gate.callerOf(call), request);
    }),
    put: unary<PutRequest, PutResponse>(logger, 'Put', async (request, call) => {
      checkPutRequest(request);
      return guard.put(await guard.gate.callerOf(call), request);
    }),
    deleteRange: unary<DeleteRangeRequest, DeleteRangeResponse>(logger, 'DeleteRange', async (request, call) => {
      checkDeleteRequest(request);
      return guard.deleteRange(await guard.gate.callerOf(call), request);
    }),
    txn: unary<TxnRequest, TxnResponse>(logger, 'Txn', async (request, call) => {
      checkTxnRequest(request, server.limits.maxTxnOps);
      return guard.txn(await guard.gate.callerOf(call), request);
    }),
    compact: unary<CompactionRequest, CompactionResponse>(logger, 'Compact', async (request) => server.compact(request)),
  };
}
