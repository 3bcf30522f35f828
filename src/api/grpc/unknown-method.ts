// Answers calls to methods the server does not have with gRPC-Go's wording
// ("unknown service X", "unknown method M for service S"): clients and tests that
// match etcd's text see the same. grpc-js offers no hook for this, so its handler
// table (an internal Map) is wrapped; the lookup is the only behaviour touched.
import { Metadata, status, type Server, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';

interface HandlerLike {
  readonly func: unknown;
  readonly serialize: (value: unknown) => Buffer;
  readonly deserialize: (bytes: Buffer) => unknown;
  readonly type: 'unary';
  readonly path: string;
}

function goUnimplementedText(path: string, knownServices: ReadonlySet<string>): string {
  const match = /^\/([^/]+)\/([^/]+)$/.exec(path);
  if (match === null) return `malformed method name: "${path}"`;
  const [, service = '', method = ''] = match;
  return knownServices.has(service) ? `unknown method ${method} for service ${service}` : `unknown service ${service}`;
}

function unimplementedHandler(path: string, knownServices: ReadonlySet<string>): HandlerLike {
  const details = goUnimplementedText(path, knownServices);
  return {
    func: (_call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) =>
      callback({ code: status.UNIMPLEMENTED, details, metadata: new Metadata() }),
    serialize: (value: unknown) => (Buffer.isBuffer(value) ? value : Buffer.alloc(0)),
    deserialize: (bytes: Buffer) => bytes,
    type: 'unary',
    path,
  };
}

/** Call after every service is added. Does nothing if grpc-js changes its internals. */
export function answerUnknownMethodsLikeGo(server: Server): void {
  const internals = server as unknown as { handlers?: unknown };
  const handlers = internals.handlers;
  if (!(handlers instanceof Map)) return;
  const known = handlers as Map<string, unknown>;
  const originalGet = known.get.bind(known);
  known.get = (path: string): unknown => {
    const found = originalGet(path);
    if (found !== undefined) return found;
    const services = new Set([...known.keys()].map((key) => key.split('/')[1] ?? ''));
    return unimplementedHandler(path, services);
  };
}
