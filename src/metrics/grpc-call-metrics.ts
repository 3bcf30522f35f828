// grpc_server_started_total and grpc_server_handled_total, as etcd's go-grpc-prometheus
// interceptors count them: one start per call, one handled per call with its final code.
import { status, type UntypedHandleCall } from '@grpc/grpc-js';
import { Counter, type Registry } from 'prom-client';

export type GrpcType = 'unary' | 'client_stream' | 'server_stream' | 'bidi_stream';

export interface GrpcCallLabels {
  readonly grpc_type: GrpcType;
  readonly grpc_service: string;
  readonly grpc_method: string;
}

export interface GrpcCallCounters {
  started(labels: GrpcCallLabels): void;
  handled(labels: GrpcCallLabels, code: number): void;
}

/** gRPC-Go's names for status codes, which label grpc_code. */
const GO_CODE_NAMES: readonly string[] = [
  'OK', 'Canceled', 'Unknown', 'InvalidArgument', 'DeadlineExceeded', 'NotFound', 'AlreadyExists', 'PermissionDenied',
  'ResourceExhausted', 'FailedPrecondition', 'Aborted', 'OutOfRange', 'Unimplemented', 'Internal', 'Unavailable',
  'DataLoss', 'Unauthenticated',
];

export function goCodeName(code: number): string {
  return GO_CODE_NAMES[code] ?? `Code(${code})`;
}

/**
 * Calls are counted in plain numbers per labels object (one per method, made once by
 * callLabels) and handed to prom-client only when scraped: its inc() builds and
 * validates a label key on every call, twice per RPC.
 */
export function grpcCallCounters(registry: Registry): GrpcCallCounters {
  const startedCounts = new Map<GrpcCallLabels, number>();
  const handledCounts = new Map<GrpcCallLabels, Map<number, number>>();
  new Counter({
    name: 'grpc_server_started_total',
    help: 'Total number of RPCs started on the server.',
    labelNames: ['grpc_type', 'grpc_service', 'grpc_method'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, count] of startedCounts) this.inc({ ...labels }, count);
    },
  });
  new Counter({
    name: 'grpc_server_handled_total',
    help: 'Total number of RPCs completed on the server, regardless of success or failure.',
    labelNames: ['grpc_type', 'grpc_service', 'grpc_method', 'grpc_code'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, byCode] of handledCounts) {
        for (const [code, count] of byCode) this.inc({ ...labels, grpc_code: goCodeName(code) }, count);
      }
    },
  });
  return {
    started: (labels) => startedCounts.set(labels, (startedCounts.get(labels) ?? 0) + 1),
    handled: (labels, code) => {
      let byCode = handledCounts.get(labels);
      if (byCode === undefined) {
        byCode = new Map();
        handledCounts.set(labels, byCode);
      }
      byCode.set(code, (byCode.get(code) ?? 0) + 1);
    },
  };
}

interface MethodShape {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

export function callLabels(method: MethodShape): GrpcCallLabels {
  const [, service = '', name = ''] = /^\/([^/]+)\/([^/]+)$/.exec(method.path) ?? [];
  const grpcType: GrpcType = method.requestStream
    ? method.responseStream ? 'bidi_stream' : 'client_stream'
    : method.responseStream ? 'server_stream' : 'unary';
  return { grpc_type: grpcType, grpc_service: service, grpc_method: name };
}

function codeOf(error: unknown): number {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number') return error.code;
  return status.UNKNOWN;
}

type UnaryCallback = (error: unknown, ...rest: unknown[]) => void;
type LooseHandler = (call: NodeJS.EventEmitter, callback?: UnaryCallback) => void;

/** Wraps one method's handler so that its start and its final status are counted. */
export function instrumentHandler(counters: GrpcCallCounters, method: MethodShape, handler: UntypedHandleCall): UntypedHandleCall {
  const labels = callLabels(method);
  const inner = handler as unknown as LooseHandler;
  const wrapped: LooseHandler = (call, callback) => {
    counters.started(labels);
    let done = false;
    const finish = (code: number): void => {
      if (done) return;
      done = true;
      counters.handled(labels, code);
    };
    if (callback !== undefined) {
      inner(call, (error, ...rest) => {
        finish(error === null || error === undefined ? status.OK : codeOf(error));
        callback(error, ...rest);
      });
      return;
    }
    call.once('error', (error: unknown) => finish(codeOf(error)));
    // Our streaming calls name the status they send (a deadline, a bad message) before they report themselves cancelled.
    call.once('status', (code: unknown) => finish(typeof code === 'number' ? code : status.UNKNOWN));
    call.once('finish', () => finish(status.OK));
    call.once('cancelled', () => finish(status.CANCELLED));
    inner(call);
  };
  return wrapped as unknown as UntypedHandleCall;
}
