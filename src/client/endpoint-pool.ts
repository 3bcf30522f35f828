// One grpc-js channel per endpoint and the choice of which one a call uses: the last
// one that worked, else whichever connects first, so a down member is skipped.
import { Client, connectivityState, credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { CALL_ATTEMPTS_MAX, ENDPOINTS_MAX, type TlsOptions } from './client-options.js';
import { UnavailableError } from './client-errors.js';
import { status as GrpcStatus } from '@grpc/grpc-js';

const MESSAGE_BYTES_MAX = 64 * 1024 * 1024;
const KEEPALIVE_TIME_MS = 30_000;
const PREFERRED_HEAD_START_MS = 250;

export interface PickedEndpoint {
  readonly client: Client;
  readonly index: number;
}

export class EndpointPool {
  private readonly addresses: string[];
  private readonly clients: (Client | undefined)[];
  private readonly channelCredentials: ChannelCredentials;
  private readonly tlsServerName: string | undefined;
  private preferred = 0;
  private closed = false;

  constructor(endpoints: readonly string[], tls: TlsOptions | undefined) {
    if (endpoints.length === 0) throw new RangeError('Etcd needs at least one endpoint');
    if (endpoints.length > ENDPOINTS_MAX) throw new RangeError(`at most ${ENDPOINTS_MAX} endpoints`);
    this.addresses = endpoints.map(stripScheme);
    this.clients = this.addresses.map(() => undefined);
    this.channelCredentials =
      tls === undefined ? credentials.createInsecure() : credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
    this.tlsServerName = tls?.serverName;
  }

  get endpointCount(): number {
    return this.addresses.length;
  }

  /** Up to CALL_ATTEMPTS_MAX, but enough to try every endpoint once. */
  get attemptsMax(): number {
    return Math.max(CALL_ATTEMPTS_MAX, this.addresses.length + 1);
  }

  /** Resolves with a connected endpoint, trying all of them at once when the preferred one is not ready. */
  async pick(deadline: number, signal: AbortSignal | undefined): Promise<PickedEndpoint> {
    if (this.closed) throw new UnavailableError(GrpcStatus.UNAVAILABLE, 'etcd client is closed');
    const preferred = this.clientAt(this.preferred);
    if (preferred.getChannel().getConnectivityState(true) === connectivityState.READY) {
      return { client: preferred, index: this.preferred };
    }
    const aborted = abortPromise(signal);
    try {
      const headStart = await this.headStart(deadline, signal, aborted.promise);
      if (headStart !== undefined) return headStart;
      const attempts = this.addresses.map((_, index) => this.waitReady(index, deadline));
      const picked = await Promise.race([Promise.any(attempts), aborted.promise]);
      this.preferred = picked.index;
      return picked;
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new UnavailableError(GrpcStatus.UNAVAILABLE, `no endpoint of ${this.addresses.join(',')} connected in time`);
    } finally {
      aborted.dispose();
    }
  }

  /** The endpoint calls currently go to (host:port). */
  get activeEndpoint(): string {
    return this.addresses[this.preferred]!;
  }

  // The preferred endpoint gets a short head start, so endpoints are used in the order given
  // while they work; one already known to be failing gets none.
  private async headStart(deadline: number, signal: AbortSignal | undefined, aborted: Promise<never>): Promise<PickedEndpoint | undefined> {
    const state = this.clientAt(this.preferred).getChannel().getConnectivityState(true);
    if (state === connectivityState.TRANSIENT_FAILURE || state === connectivityState.SHUTDOWN) return undefined;
    const until = Math.min(deadline, Date.now() + PREFERRED_HEAD_START_MS);
    return Promise.race([this.waitReady(this.preferred, until), aborted]).catch((error: unknown) => {
      if (signal?.aborted) throw error;
      return undefined;
    });
  }

  /** A call on this endpoint failed as if the endpoint were down: prefer the next one. */
  markFailed(index: number): void {
    if (index === this.preferred) this.preferred = (index + 1) % this.addresses.length;
  }

  close(): void {
    this.closed = true;
    for (const client of this.clients) client?.close();
  }

  private waitReady(index: number, deadline: number): Promise<PickedEndpoint> {
    const client = this.clientAt(index);
    return new Promise((resolve, reject) => {
      client.waitForReady(deadline, (error) => (error ? reject(error) : resolve({ client, index })));
    });
  }

  private clientAt(index: number): Client {
    const existing = this.clients[index];
    if (existing !== undefined) return existing;
    const options: Record<string, string | number> = {
      'grpc.max_receive_message_length': MESSAGE_BYTES_MAX,
      'grpc.max_send_message_length': MESSAGE_BYTES_MAX,
      'grpc.keepalive_time_ms': KEEPALIVE_TIME_MS,
    };
    if (this.tlsServerName !== undefined) options['grpc.ssl_target_name_override'] = this.tlsServerName;
    const client = new Client(this.addresses[index]!, this.channelCredentials, options);
    this.clients[index] = client;
    return client;
  }
}

function stripScheme(endpoint: string): string {
  return endpoint.replace(/^(https?|unix):\/\//, '').replace(/\/+$/, '');
}

/** A promise that rejects with the signal's reason once it aborts, and a way to stop listening. */
export function abortPromise(signal: AbortSignal | undefined): { promise: Promise<never>; dispose(): void } {
  if (signal === undefined) return { promise: new Promise<never>(() => {}), dispose: () => {} };
  let onAbort = (): void => {};
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortReason(signal));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  // Callers race this promise; an unobserved rejection must not crash the process.
  promise.catch(() => {});
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new Error(String(reason ?? 'aborted'));
}
