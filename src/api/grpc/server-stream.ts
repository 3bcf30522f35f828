// Adapts an async generator to a grpc-js server stream, honouring back-pressure:
// when the socket buffer is full the generator waits for 'drain'. A client that
// goes away stops the generator (its finally blocks clean up). Failures are sent
// as a status by emitting 'error' (destroy() would drop the status).
import type { ServerWritableStream, ServiceError } from '@grpc/grpc-js';
import type { Logger } from '../../log/logger.js';
import { toServiceError } from './map-error.js';
import type { Decoded } from './safe-codec.js';

export function serverStream<Req, Res>(
  logger: Logger,
  method: string,
  produce: (request: Req) => AsyncGenerator<Res>,
): (call: ServerWritableStream<Decoded<Req>, Res>) => void {
  return (call) => {
    const decoded = call.request;
    if (!decoded.ok) {
      call.emit('error', toServiceError(decoded.error, logger, method) as ServiceError);
      return;
    }
    let cancelled = false;
    call.on('cancelled', () => {
      cancelled = true;
    });
    const run = async (): Promise<void> => {
      const source = produce(decoded.value);
      try {
        for await (const message of source) {
          if (cancelled) break;
          if (!call.write(message)) await new Promise<void>((resolve) => call.once('drain', () => resolve()));
        }
      } finally {
        await source.return(undefined);
      }
      if (!cancelled) call.end();
    };
    run().catch((error: unknown) => {
      if (!cancelled) call.emit('error', toServiceError(error, logger, method) as ServiceError);
    });
  };
}
