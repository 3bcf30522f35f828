// Adapts an async handler to grpc-js's callback style: decode failures, handler
// errors and results all end the call exactly once, with etcd's status mapping.
import type { handleUnaryCall, sendUnaryData, ServerUnaryCall, ServiceError } from '@grpc/grpc-js';
import type { Logger } from '../../log/logger.js';
import { toServiceError } from './map-error.js';
import type { Decoded } from './safe-codec.js';

export type UnaryHandler<Req, Res> = (request: Req, call: ServerUnaryCall<Decoded<Req>, Res>) => Promise<Res>;

export function unary<Req, Res>(logger: Logger, method: string, handler: UnaryHandler<Req, Res>): handleUnaryCall<Decoded<Req>, Res> {
  return (call: ServerUnaryCall<Decoded<Req>, Res>, callback: sendUnaryData<Res>): void => {
    const decoded = call.request;
    if (!decoded.ok) {
      callback(toServiceError(decoded.error, logger, method) as ServiceError);
      return;
    }
    handler(decoded.value, call).then(
      (response) => callback(null, response),
      (error: unknown) => callback(toServiceError(error, logger, method) as ServiceError),
    );
  };
}
