// Adapts an async generator to a grpc-js server stream, honouring back-pressure:
// when the socket buffer is full the generator waits for 'drain'. A client that
// goes away stops the generator (its finally blocks clean up). Failures are sent
// as a status by emitting 'error' (destroy() would drop the status).
import type { ServerWritableStream, ServiceError } from '@grpc/grpc-js';
import { EtcdError } from '../../errors/etcd-error.js';
import type { Logger } from '../../log/logger.js';
import { toServiceError } from './map-error.js';
import type { Decoded } from './safe-codec.js';

export function serverStream<Req, Res>(
  logger: Logger,
  method: string,
  produce: (request: Req) => AsyncGenerator<Res>,
  /** The server is stopping: a stream waiting on a client that does not read ends now. */
  stopping?: AbortSignal,
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
          if (cancelled || stopping?.aborted === true) break;
          if (!call.write(message) && !cancelled) await drainedOrGone(call, stopping);
        }
      } finally {
        await source.return(undefined);
      }
      if (!cancelled && stopping?.aborted === true) throw new EtcdError('Stopped');
      if (!cancelled) call.end();
    };
    run().catch((error: unknown) => {
      if (!cancelled) call.emit('error', toServiceError(error, logger, method) as ServiceError);
    });
  };
}

/**
 * Resolves when the stream can take more, or when the client is gone (a cancelled call
 * never drains): a generator left waiting would never run its finally blocks, and a
 * snapshot's read view would keep the backend from closing.
 */
function drainedOrGone(call: ServerWritableStream<unknown, unknown>, stopping: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('cancelled', done);
      call.off('close', done);
      stopping?.removeEventListener('abort', done);
      resolve();
    };
    call.once('drain', done);
    call.once('cancelled', done);
    call.once('close', done);
    stopping?.addEventListener('abort', done, { once: true });
  });
}
