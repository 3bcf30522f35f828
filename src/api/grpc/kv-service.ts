// The KV service: validate as etcd's API layer does, hand the request to the
// server, map errors. Headers are filled by the server, which knows the revision.
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { checkDeleteRequest, checkPutRequest, checkRangeRequest, checkTxnRequest } from '../../apply/validate-request.js';
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
import type { EtcdServer } from '../../server/etcd-server.js';
import { unary } from './unary-handler.js';

export function kvServiceImplementation(server: EtcdServer, logger: Logger): UntypedServiceImplementation {
  return {
    range: unary<RangeRequest, RangeResponse>(logger, 'Range', async (request) => {
      checkRangeRequest(request);
      return server.range(request);
    }),
    put: unary<PutRequest, PutResponse>(logger, 'Put', async (request) => {
      checkPutRequest(request);
      return server.put(request);
    }),
    deleteRange: unary<DeleteRangeRequest, DeleteRangeResponse>(logger, 'DeleteRange', async (request) => {
      checkDeleteRequest(request);
      return server.deleteRange(request);
    }),
    txn: unary<TxnRequest, TxnResponse>(logger, 'Txn', async (request) => {
      checkTxnRequest(request, server.limits.maxTxnOps);
      return server.txn(request);
    }),
    compact: unary<CompactionRequest, CompactionResponse>(logger, 'Compact', async (request) => server.compact(request)),
  };
}
