// An in-process server with generated gRPC clients for the Lease, KV, Election and
// Lock services, and a promise-style call helper that keeps etcd's status and text.
import { rm } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { startServer, type RunningServer, type StartServerOptions } from '../../src/embed/start-server.js';
import { KVClient, LeaseClient } from '../../src/generated/etcdserverpb/rpc.js';
import { ElectionClient } from '../../src/generated/v3electionpb/v3election.js';
import { LockClient } from '../../src/generated/v3lockpb/v3lock.js';

const CALL_TIMEOUT_MS = 10_000;

export interface Clients {
  readonly kv: KVClient;
  readonly lease: LeaseClient;
  readonly election: ElectionClient;
  readonly lock: LockClient;
  close(): void;
}

export function connect(endpoint: string): Clients {
  const credentials = grpc.credentials.createInsecure();
  const kv = new KVClient(endpoint, credentials);
  const lease = new LeaseClient(endpoint, credentials);
  const election = new ElectionClient(endpoint, credentials);
  const lock = new LockClient(endpoint, credentials);
  return { kv, lease, election, lock, close: () => [kv, lease, election, lock].forEach((client) => client.close()) };
}

type Callback<T> = (error: grpc.ServiceError | null, response: T) => void;

/** Calls a generated unary method with a deadline; rejects with the ServiceError. */
export function call<Req, Res>(
  method: (request: Req, metadata: grpc.Metadata, options: Partial<grpc.CallOptions>, callback: Callback<Res>) => grpc.ClientUnaryCall,
  request: Req,
  timeoutMs = CALL_TIMEOUT_MS,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

/** The status code and text a call failed with. */
export async function failure(promise: Promise<unknown>): Promise<{ code: number; details: string }> {
  try {
    await promise;
  } catch (error) {
    const { code, details } = error as grpc.ServiceError;
    return { code, details };
  }
  throw new Error('the call succeeded');
}

export interface Fixture {
  readonly running: RunningServer;
  readonly clients: Clients;
  close(options?: { keepData?: boolean }): Promise<void>;
}

export async function startWithClients(options: StartServerOptions = {}): Promise<Fixture> {
  const running = await startServer(options);
  const clients = connect(running.endpoint);
  return {
    running,
    clients,
    close: async ({ keepData = false } = {}) => {
      clients.close();
      await running.close();
      if (!keepData && running.dataDir !== null) await rm(running.dataDir, { recursive: true, force: true });
    },
  };
}

export const bytes = (text: string): Buffer => Buffer.from(text);
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
