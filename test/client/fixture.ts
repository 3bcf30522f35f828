// Shared set-up for the client suite: one server of the target chosen by ETCD_TS_TARGET
// (real etcd or etcd-ts), a client on it, and runtime probes for features etcd-ts lacks.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { Etcd } from '../../src/client/etcd.js';
import { EtcdClientError } from '../../src/client/client-errors.js';
import { startServer, type ServerProcess, type StartOptions } from '../support/server-process.js';

export interface ClientFixture {
  server: ServerProcess;
  etcd: Etcd;
  /** A fresh key prefix per test, so tests on one server never see each other's keys. */
  prefix(name: string): string;
  close(): Promise<void>;
}

export async function openFixture(options: StartOptions = {}): Promise<ClientFixture> {
  const server = await startServer({ name: 'client', ...options });
  const etcd = new Etcd({ endpoints: [server.endpoint], dialTimeoutMs: 5_000, defaultCallTimeoutMs: 10_000 });
  return {
    server,
    etcd,
    prefix: (name) => `${name}/${randomUUID().slice(0, 8)}/`,
    close: async () => {
      await etcd.close();
      await server.stop();
    },
  };
}

export type Feature = 'lease' | 'watch' | 'auth' | 'lock' | 'election';

const PROBES: Record<Feature, (etcd: Etcd) => Promise<unknown>> = {
  lease: (etcd) => etcd.lease.leases(),
  watch: async (etcd) => {
    const watcher = await etcd.watch('probe/watch');
    await watcher.close();
  },
  // AuthStatus arrived in etcd 3.5; UserList answers on 3.4 too.
  auth: (etcd) => etcd.auth.userList(),
  // Unlocking a key nobody holds changes nothing.
  lock: (etcd) => etcd.lockService.unlock('probe/lock/none'),
  election: (etcd) => etcd.electionService.leader('probe/election'),
};

const FEATURE_NAMES: Record<Feature, string> = {
  lease: 'Lease service',
  watch: 'Watch service',
  auth: 'Auth service',
  lock: 'Lock service',
  election: 'Election service',
};

/**
 * Why a test must be skipped on this server, or undefined when the feature answers.
 * Only UNIMPLEMENTED means "missing": any other failure is a real failure of the test.
 */
export async function missingFeature(etcd: Etcd, ...features: Feature[]): Promise<string | undefined> {
  for (const feature of features) {
    try {
      await PROBES[feature](etcd);
    } catch (error) {
      if (error instanceof EtcdClientError && error.grpcCode === GrpcStatus.UNIMPLEMENTED) {
        return `${targetName()}: ${FEATURE_NAMES[feature]} not yet implemented`;
      }
      throw error;
    }
  }
  return undefined;
}

function targetName(): string {
  return process.env['ETCD_TS_TARGET'] === 'etcd' ? 'etcd' : 'etcd-ts';
}

/** Resolves after `ms`; tests use it only to give a background loop a chance to run. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
