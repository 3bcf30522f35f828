// The part of grpc-js's server call objects that handlers read (metadata, peer,
// deadline, auth context, response metadata), written once and put on the
// prototypes of both our unary and our streaming calls, which extend different
// bases (EventEmitter, Duplex).
import type { Metadata } from '@grpc/grpc-js';
import type { AuthContext, CallHead } from './grpc-call-head.js';

/** What the surface reads from the call it is on. */
export interface CallSurfaceState {
  readonly head: CallHead;
  readonly deadlineMs: number;
  readonly path: string;
  /** Set by sendMetadata(): the response headers carry it. */
  responseMetadata: Metadata | null;
}

/** grpc-js's ServerSurfaceCall, as far as handlers use it. */
export interface CallSurface {
  readonly metadata: Metadata;
  getPeer(): string;
  sendMetadata(metadata: Metadata): void;
  getDeadline(): number;
  getPath(): string;
  getHost(): string;
  getAuthContext(): AuthContext;
  getMetricsRecorder(): never;
}

const methods: ThisType<CallSurfaceState> & Omit<CallSurface, 'metadata'> = {
  getPeer() {
    return this.head.peer();
  },
  sendMetadata(metadata: Metadata) {
    this.responseMetadata ??= metadata;
  },
  getDeadline() {
    return this.deadlineMs;
  },
  getPath() {
    return this.path;
  },
  getHost() {
    return this.head.authority;
  },
  getAuthContext() {
    return this.head.authContext();
  },
  getMetricsRecorder(): never {
    throw new Error('per-request metric recording is not enabled on this server');
  },
};

/** Puts the surface on a call class's prototype (the class declares `interface X extends CallSurface`). */
export function addCallSurface(prototype: CallSurfaceState): void {
  Object.defineProperty(prototype, 'metadata', {
    get(this: CallSurfaceState): Metadata {
      return this.head.metadata;
    },
  });
  Object.assign(prototype, methods);
}
