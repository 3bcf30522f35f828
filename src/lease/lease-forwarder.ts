// On a follower, keep-alives and time-to-live reads are answered by the leader, the
// only member that knows when leases expire. etcd forwards them over its peer HTTP
// API; here they go to the leader's advertised client URL over gRPC. A channel is
// kept per leader URL while in use and closed when idle.
import * as grpc from '@grpc/grpc-js';
import { EtcdError } from '../errors/etcd-error.js';
import {
  LeaseClient,
  type LeaseKeepAliveResponse,
  type LeaseTimeToLiveRequest,
  type LeaseTimeToLiveResponse,
} from '../generated/etcdserverpb/rpc.js';

/** How long one forwarded call may take (etcd's request timeout for forwarded renewals). */
const FORWARD_TIMEOUT_MS = 5000;
/** An unused channel to a leader is closed after this long. */
const CHANNEL_IDLE_CLOSE_MS = 2000;

export interface LeaderLocator {
  /** host:port of the current leader's client endpoint; throws EtcdError NoLeader when there is none. */
  leaderEndpoint(): Promise<string>;
}

export class LeaseForwarder {
  private channel: { endpoint: string; client: LeaseClient; inUse: number; idleTimer: NodeJS.Timeout | null } | null = null;

  constructor(private readonly locator: LeaderLocator) {}

  /** The leader's TTL after renewal; throws EtcdError LeaseNotFound when the leader no longer has the lease. */
  async renew(id: bigint): Promise<number> {
    const response = await this.withClient((client) => keepAliveOnce(client, id));
    if (response.TTL <= 0n) throw new EtcdError('LeaseNotFound');
    return Number(response.TTL);
  }

  timeToLive(request: LeaseTimeToLiveRequest): Promise<LeaseTimeToLiveResponse> {
    return this.withClient(
      (client) =>
        new Promise((resolve, reject) => {
          const options = { deadline: Date.now() + FORWARD_TIMEOUT_MS };
          client.leaseTimeToLive(request, new grpc.Metadata(), options, (error, response) =>
            error ? reject(forwardError(error)) : resolve(response),
          );
        }),
    );
  }

  close(): void {
    if (this.channel === null) return;
    if (this.channel.idleTimer !== null) clearTimeout(this.channel.idleTimer);
    this.channel.client.close();
    this.channel = null;
  }

  private async withClient<T>(body: (client: LeaseClient) => Promise<T>): Promise<T> {
    const endpoint = await this.locator.leaderEndpoint();
    if (this.channel?.endpoint !== endpoint) {
      this.close();
      this.channel = { endpoint, client: new LeaseClient(endpoint, grpc.credentials.createInsecure()), inUse: 0, idleTimer: null };
    }
    const channel = this.channel;
    if (channel.idleTimer !== null) clearTimeout(channel.idleTimer);
    channel.idleTimer = null;
    channel.inUse++;
    try {
      return await body(channel.client);
    } finally {
      channel.inUse--;
      if (channel.inUse === 0 && this.channel === channel) {
        channel.idleTimer = setTimeout(() => this.close(), CHANNEL_IDLE_CLOSE_MS);
      }
    }
  }
}

function keepAliveOnce(client: LeaseClient, id: bigint): Promise<LeaseKeepAliveResponse> {
  return new Promise((resolve, reject) => {
    const stream = client.leaseKeepAlive(new grpc.Metadata(), { deadline: Date.now() + FORWARD_TIMEOUT_MS });
    let answered = false;
    stream.on('data', (response: LeaseKeepAliveResponse) => {
      answered = true;
      stream.end();
      resolve(response);
    });
    stream.on('error', (error: grpc.ServiceError) => {
      if (!answered) reject(forwardError(error));
    });
    stream.on('end', () => {
      if (!answered) reject(new EtcdError('Timeout'));
    });
    stream.write({ ID: id });
  });
}

/** A leader that cannot answer within the bound reads as etcd's request timeout; one that stopped leading, as a leader change. */
function forwardError(error: grpc.ServiceError): EtcdError {
  if (error.code === grpc.status.DEADLINE_EXCEEDED) return new EtcdError('Timeout');
  if (error.code === grpc.status.FAILED_PRECONDITION) return new EtcdError('LeaderChanged', error.details);
  return new EtcdError('NoLeader', error.details);
}
