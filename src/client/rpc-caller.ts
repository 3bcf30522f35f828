// Runs one RPC against the endpoint pool: deadline, abort, auth token, and the retry
// rules (reads on any endpoint failure; writes only when they were never sent).
import { Metadata, status as GrpcStatus, type ClientDuplexStream, type ClientReadableStream } from '@grpc/grpc-js';
import { AuthService } from '../generated/etcdserverpb/rpc.js';
import {
  AuthOldRevisionError,
  EtcdClientError,
  InvalidAuthTokenError,
  errorFromGrpc,
  isGrpcFailure,
} from './client-errors.js';
import { RETRY_BACKOFF_MS, type CallOptions } from './client-options.js';
import { abortPromise, abortReason, type EndpointPool, type PickedEndpoint } from './endpoint-pool.js';

/** The parts of a generated grpc-js method definition a call needs. */
export interface MethodDefinition<Req, Res> {
  readonly path: string;
  requestSerialize(value: Req): Buffer;
  responseDeserialize(value: Buffer): Res;
}

/**
 * `idempotent` calls (reads, and writes whose repetition is harmless) are retried after any
 * endpoint failure; other calls only when the failure proves the request never left the client.
 */
export type RetryPolicy = 'idempotent' | 'at-most-once';

// grpc-js reports a call it could not even start (no connected subchannel) with this text.
const NOT_SENT_PATTERN = /No connection established/;

export class RpcCaller {
  private token: string | undefined;
  private authenticating: Promise<string> | undefined;

  constructor(
    private readonly pool: EndpointPool,
    private readonly credentials: { username: string; password: string } | undefined,
    private readonly dialTimeoutMs: number,
    private readonly defaultCallTimeoutMs: number,
  ) {}

  deadlineFor(options: CallOptions | undefined): number {
    return Date.now() + (options?.timeoutMs ?? this.defaultCallTimeoutMs);
  }

  async unary<Req, Res>(method: MethodDefinition<Req, Res>, request: Req, policy: RetryPolicy, options?: CallOptions): Promise<Res> {
    const deadline = this.deadlineFor(options);
    let reauthenticated = false;
    let lastError: EtcdClientError | undefined;
    for (let attempt = 1; attempt <= this.pool.attemptsMax; attempt++) {
      throwIfAborted(options?.signal);
      if (Date.now() >= deadline) break;
      const picked = await this.pool.pick(Math.min(deadline, Date.now() + this.dialTimeoutMs), options?.signal);
      try {
        return await this.unaryOnce(picked, method, request, deadline, options?.signal);
      } catch (error) {
        if (!(error instanceof EtcdClientError)) throw error;
        lastError = error;
        if (this.isAuthRetry(error) && !reauthenticated) {
          reauthenticated = true;
          await this.refreshToken(options);
          continue;
        }
        // A server resetting its streams at shutdown says CANCELLED (this client's own
        // cancellations surface as the abort reason instead): as good as UNAVAILABLE for reads.
        const serverReset = error.grpcCode === GrpcStatus.CANCELLED && policy === 'idempotent';
        if (error.grpcCode !== GrpcStatus.UNAVAILABLE && !serverReset) throw error;
        this.pool.markFailed(picked.index);
        if (policy === 'at-most-once' && !NOT_SENT_PATTERN.test(error.etcdMessage)) throw error;
        await sleep(RETRY_BACKOFF_MS * attempt, options?.signal);
      }
    }
    throw lastError ?? errorFromGrpc({ code: GrpcStatus.DEADLINE_EXCEEDED, details: 'context deadline exceeded' });
  }

  /** Opens a bidirectional stream on a connected endpoint; the caller owns its lifetime. */
  async bidi<Req, Res>(
    method: MethodDefinition<Req, Res>,
    options?: CallOptions & { deadline?: number },
  ): Promise<{ call: ClientDuplexStream<Req, Res>; endpoint: PickedEndpoint }> {
    const picked = await this.pool.pick(Date.now() + this.dialTimeoutMs, options?.signal);
    const metadata = await this.metadata(options);
    const callOptions = options?.deadline === undefined ? {} : { deadline: options.deadline };
    const call = picked.client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, metadata, callOptions);
    return { call, endpoint: picked };
  }

  async serverStream<Req, Res>(
    method: MethodDefinition<Req, Res>,
    request: Req,
    options?: CallOptions,
  ): Promise<ClientReadableStream<Res>> {
    const picked = await this.pool.pick(Date.now() + this.dialTimeoutMs, options?.signal);
    const metadata = await this.metadata(options);
    return picked.client.makeServerStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, request, metadata, {
      deadline: this.deadlineFor(options),
    });
  }

  /** Streams fail with an auth error the same way; they call this and reopen once. */
  isAuthRetry(error: unknown): boolean {
    return this.credentials !== undefined && (error instanceof InvalidAuthTokenError || error instanceof AuthOldRevisionError);
  }

  async refreshToken(options?: CallOptions): Promise<void> {
    this.token = undefined;
    await this.currentToken(options);
  }

  markFailed(endpoint: PickedEndpoint): void {
    this.pool.markFailed(endpoint.index);
  }

  private unaryOnce<Req, Res>(
    picked: PickedEndpoint,
    method: MethodDefinition<Req, Res>,
    request: Req,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<Res> {
    const sent = (metadata: Metadata): Promise<Res> =>
      new Promise<Res>((resolve, reject) => {
        const onAbort = (): void => call.cancel();
        const onDone = (error: unknown, response: Res | undefined): void => {
          signal?.removeEventListener('abort', onAbort);
          if (signal?.aborted) reject(abortReason(signal));
          else if (error) reject(isGrpcFailure(error) ? errorFromGrpc(error) : error);
          else if (response === undefined) reject(new EtcdClientError(GrpcStatus.INTERNAL, 'empty response'));
          else resolve(response);
        };
        const { path, requestSerialize, responseDeserialize } = method;
        const call = picked.client.makeUnaryRequest(path, requestSerialize, responseDeserialize, request, metadata, { deadline }, onDone);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    // Without credentials there is nothing to await: skip a turn of the event loop per call.
    return this.credentials === undefined ? sent(new Metadata()) : this.metadata({ signal }).then(sent);
  }

  private async metadata(options: CallOptions | undefined): Promise<Metadata> {
    const metadata = new Metadata();
    if (this.credentials === undefined) return metadata;
    metadata.set('token', await this.currentToken(options));
    return metadata;
  }

  private currentToken(options: CallOptions | undefined): Promise<string> {
    if (this.token !== undefined) return Promise.resolve(this.token);
    // One authentication at a time: concurrent calls share it instead of each logging in.
    this.authenticating ??= this.authenticate(options).finally(() => {
      this.authenticating = undefined;
    });
    return this.authenticating;
  }

  private async authenticate(options: CallOptions | undefined): Promise<string> {
    const credentials = this.credentials;
    if (credentials === undefined) throw new Error('authenticate without credentials');
    const deadline = this.deadlineFor(options);
    for (let attempt = 1; attempt <= this.pool.attemptsMax; attempt++) {
      const picked = await this.pool.pick(Math.min(deadline, Date.now() + this.dialTimeoutMs), options?.signal);
      try {
        const response = await new Promise<{ token: string }>((resolve, reject) => {
          picked.client.makeUnaryRequest(
            AuthService.authenticate.path,
            AuthService.authenticate.requestSerialize,
            AuthService.authenticate.responseDeserialize,
            { name: credentials.username, password: credentials.password },
            new Metadata(),
            { deadline },
            (error, value) => (error || value === undefined ? reject(isGrpcFailure(error) ? errorFromGrpc(error) : error) : resolve(value)),
          );
        });
        this.token = response.token;
        return response.token;
      } catch (error) {
        if (!(error instanceof EtcdClientError) || error.grpcCode !== GrpcStatus.UNAVAILABLE) throw error;
        this.pool.markFailed(picked.index);
      }
    }
    throw new EtcdClientError(GrpcStatus.UNAVAILABLE, 'authentication: no endpoint answered');
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  const aborted = abortPromise(signal);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), aborted.promise]);
  } finally {
    clearTimeout(timer);
    aborted.dispose();
  }
}
