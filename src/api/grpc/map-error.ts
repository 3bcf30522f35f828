// Turns whatever a handler threw into the gRPC status a client sees: EtcdErrors
// through etcd's table, everything else as UNKNOWN, logged as a bug.
import { status, Metadata, type ServiceError } from '@grpc/grpc-js';
import { isEtcdError } from '../../errors/etcd-error.js';
import { ERROR_TABLE } from '../../errors/error-table.js';
import type { Logger } from '../../log/logger.js';

/** A status already decided at the edge (for example a request that failed to decode). */
export class GrpcStatusError extends Error {
  constructor(
    readonly code: status,
    readonly details: string,
  ) {
    super(details);
    this.name = 'GrpcStatusError';
  }
}

export function toServiceError(error: unknown, logger: Logger, method: string): Partial<ServiceError> {
  if (isEtcdError(error)) {
    const mapped = ERROR_TABLE[error.code];
    return { code: mapped.code, details: mapped.message, metadata: new Metadata() };
  }
  if (error instanceof GrpcStatusError) {
    return { code: error.code, details: error.details, metadata: new Metadata() };
  }
  const message = error instanceof Error ? error.message : String(error);
  logger.error('unexpected error serving request; this is a bug', {
    method,
    error: message,
    stack: error instanceof Error ? error.stack : undefined,
  });
  return { code: status.UNKNOWN, details: message, metadata: new Metadata() };
}
