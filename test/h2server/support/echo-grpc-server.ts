// Our HTTP/2 gRPC server (src/api/h2server) on a loopback port with a test service
// that echoes what handlers see of request metadata back as response headers and
// trailers: no etcd handler reads custom metadata or sends trailing metadata, so
// only such a service can show that both ways work.
import { createServer, type Server, type Socket } from 'node:net';
import { Metadata, status, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type ServiceDefinition } from '@grpc/grpc-js';
import { GrpcServer } from '../../../src/api/h2server/grpc-server.js';

const PREFACE_BYTES = 24;
const identity = (bytes: Buffer): Buffer => bytes;

export const ECHO_PATHS = {
  unary: '/h2test.Echo/Unary',
  fail: '/h2test.Echo/Fail',
  stream: '/h2test.Echo/Stream',
  /** Answered only when the test calls releaseHeld(). */
  hold: '/h2test.Echo/Hold',
} as const;

const method = (path: string, responseStream: boolean): ServiceDefinition[string] => ({
  path, requestStream: false, responseStream, originalName: path,
  requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity,
});

export const ECHO_SERVICE: ServiceDefinition = {
  Unary: method(ECHO_PATHS.unary, false),
  Fail: method(ECHO_PATHS.fail, false),
  Stream: method(ECHO_PATHS.stream, true),
  Hold: method(ECHO_PATHS.hold, false),
};

/** The request's x-bin (binary) and x-text values, as handlers read them, under echo-* names. */
function echoed(from: Metadata, prefix: string): Metadata {
  const out = new Metadata();
  for (const value of from.get('x-bin')) out.add(`${prefix}-bin`, Buffer.isBuffer(value) ? value : Buffer.from(`not binary: ${value}`));
  for (const value of from.get('x-text')) out.add(`${prefix}-text`, String(value));
  return out;
}

const held = new Set<() => void>();

const implementation = {
  Hold: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void => {
    const answer = (): void => callback(null, call.request);
    held.add(answer);
    call.once('cancelled', () => held.delete(answer));
  },
  Unary: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void => {
    call.sendMetadata(echoed(call.metadata, 'header'));
    callback(null, call.request, echoed(call.metadata, 'trailer'));
  },
  Fail: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): void => {
    callback({ code: status.FAILED_PRECONDITION, details: 'echo failed', metadata: echoed(call.metadata, 'trailer') });
  },
  Stream: (call: ServerWritableStream<Buffer, Buffer>): void => {
    call.sendMetadata(echoed(call.metadata, 'header'));
    call.write(call.request);
    call.write(call.request);
    call.end(echoed(call.metadata, 'trailer'));
  },
};

export interface EchoServer {
  readonly port: number;
  /** The server's count of unary calls waiting to start or for their answer. */
  pendingUnaryCalls(): number;
  /** Answers every Hold call waiting. */
  releaseHeld(): void;
  close(): Promise<void>;
}

export async function startEchoServer(): Promise<EchoServer> {
  const grpc = new GrpcServer({ receiveLimitBytes: 4 * 1024 * 1024, maxConcurrentStreams: null, counters: null });
  grpc.addService(ECHO_SERVICE, implementation as never);
  const sockets = new Set<Socket>();
  const listener: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    let opening = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      opening = Buffer.concat([opening, chunk]);
      if (opening.length < PREFACE_BYTES) return;
      socket.off('data', onData);
      grpc.acceptConnection(socket, opening);
    };
    socket.on('data', onData);
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const address = listener.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    pendingUnaryCalls: () => grpc.pendingUnaryCalls,
    releaseHeld: () => {
      for (const answer of [...held]) answer();
      held.clear();
    },
    close: async () => {
      grpc.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => listener.close(() => resolve()));
    },
  };
}
