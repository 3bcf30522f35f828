// Adapts an async generator to a grpc-js server stream, honouring back-pressure:
// when the socket buffer is full the generator waits for 'drain'. grpc-js queues
// 16 messages before it reports a full buffer, whatever their size, so a stream of
// large messages also caps the messages not yet taken by the transport. A client
// that goes away stops the generator (its finally blocks clean up). Failures are
// sent as a status by emitting 'error' (destroy() would drop the status).
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
  /** Messages written but not yet handed to HTTP/2 before the generator waits (for large messages). */
  inFlightMax = Infinity,
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
    // A function, not a narrowed property: the signal may abort while the stream waits.
    const gone = (): boolean => cancelled || call.destroyed || stopping?.aborted === true;
    const progress: Progress = { inFlight: 0, wake: undefined };
    const taken = (): void => {
      progress.inFlight--;
      progress.wake?.();
    };
    const run = async (): Promise<void> => {
      const source = produce(decoded.value);
      try {
        for await (const message of source) {
          if (gone()) break;
          call.write(message, taken);
          progress.inFlight++;
          // Each wait ends on a drain, a message taken, or the call or server going away, so this ends.
          while ((call.writableNeedDrain || progress.inFlight >= inFlightMax) && !gone()) {
            await progressOrGone(call, stopping, progress);
          }
        }
      } finally {
        await source.return(undefined);
      }
      if (!cancelled && stopping?.aborted === true) throw new EtcdError('Stopped');
      if (!cancelled && !call.destroyed) call.end();
    };
    run().catch((error: unknown) => {
      if (!cancelled) call.emit('error', toServiceError(error, logger, method) as ServiceError);
    });
  };
}

interface Progress {
  /** Messages written whose write callback has not run. */
  inFlight: number;
  /** Set while the stream waits: a write callback ends the wait. */
  wake: (() => void) | undefined;
}

/**
 * Resolves when the stream may have room again (a drain, or a message taken), or
 * when the client is gone (a cancelled call never drains and its queued writes never
 * call back): a generator left waiting would never run its finally blocks, and a
 * snapshot's read view would keep the backend from closing.
 */
function progressOrGone(call: ServerWritableStream<unknown, unknown>, stopping: AbortSignal | undefined, progress: Progress): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('cancelled', done);
      call.off('close', done);
      stopping?.removeEventListener('abort', done);
      progress.wake = undefined;
      resolve();
    };
    progress.wake = done;
    call.once('drain', done);
    call.once('cancelled', done);
    call.once('close', done);
    stopping?.addEventListener('abort', done, { once: true });
  });
}
