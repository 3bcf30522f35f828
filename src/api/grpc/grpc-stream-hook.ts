// Puts the unary fast path in front of grpc-js on the HTTP/2 server behind a
// connection injector. grpc-js has no public hook for that server, so this reads
// its private list of HTTP/2 servers and checks the shape it relies on; should a
// grpc-js upgrade change it, nothing is installed and grpc-js serves every call.
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { Server } from '@grpc/grpc-js';
import { ConnectionCallGate } from './connection-call-gate.js';
import type { UnaryFastPath } from './unary-fast-path.js';

type StreamListener = (this: EventEmitter, stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest: unknown[]) => void;

/** Call right after createConnectionInjector(): its HTTP/2 server is the newest grpc-js knows. Returns whether installed. */
export function serveFastPathFirst(grpcServer: Server, fastPath: UnaryFastPath): boolean {
  const servers: unknown = Reflect.get(grpcServer, 'http2Servers');
  if (!(servers instanceof Map)) return false;
  let newest: unknown;
  for (const server of servers.keys()) newest = server;
  if (!(newest instanceof EventEmitter)) return false;
  const http2Server = newest;
  const listeners = http2Server.listeners('stream');
  const grpcJsHandler = listeners[0];
  if (listeners.length !== 1 || typeof grpcJsHandler !== 'function') return false;
  const delegate = grpcJsHandler as StreamListener;
  http2Server.removeListener('stream', delegate);
  const gate = new ConnectionCallGate();
  http2Server.on('stream', function onStream(this: EventEmitter, stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...rest: unknown[]) {
    gate.serve(stream, () => {
      if (fastPath.tryServe(stream, headers)) return true;
      delegate.call(this, stream, headers, ...rest);
      return false;
    });
  });
  return true;
}
