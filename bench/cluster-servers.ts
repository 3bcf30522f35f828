// Starts a three-member etcd or etcd-ts cluster on free loopback ports with fresh data dirs,
// waits until every member serves and one leads, and stops it (SIGTERM, bounded wait, SIGKILL)
// and removes the data. The load then goes to the members, leader first.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MaintenanceService, StatusRequest } from '../src/generated/etcdserverpb/rpc.js';
import { freePorts } from './free-port.js';
import { GrpcJsConnection } from './grpcjs-connection.js';
import { sampleProcess, type ProcSample } from './proc-stats.js';
import type { ServerBinaries, ServerKind } from './server-process.js';

export const CLUSTER_MEMBERS = 3;
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const LEADER_POLL_MS = 100;
const LOG_TAIL_CHARS = 4_000;
/** etcd-ts logs this once it serves; etcd 3.4 with --logger zap logs the second. */
const READY_MARKERS = ['ready to serve client requests', 'serving client traffic insecurely'];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

interface Member {
  readonly child: ChildProcess;
  readonly endpoint: string;
  log: string;
}

export class ClusterServers {
  private stopped: Promise<void> | undefined;

  private constructor(
    readonly kind: ServerKind,
    private readonly members: readonly Member[],
    private readonly dataDir: string,
    /** Client endpoints, the leader's first. */
    readonly endpoints: string[],
  ) {}

  get pids(): number[] {
    return this.members.map((m) => m.child.pid ?? -1);
  }

  static async start(kind: ServerKind, bins: ServerBinaries): Promise<ClusterServers> {
    const ports = await freePorts(CLUSTER_MEMBERS * 2);
    const dataDir = mkdtempSync(join(tmpdir(), `bench-cluster-${kind}-`));
    const peer = (i: number): string => `http://127.0.0.1:${ports[CLUSTER_MEMBERS + i]}`;
    const initialCluster = Array.from({ length: CLUSTER_MEMBERS }, (_, i) => `c${i}=${peer(i)}`).join(',');
    const members = Array.from({ length: CLUSTER_MEMBERS }, (_, i): Member => {
      const client = `http://127.0.0.1:${ports[i]}`;
      const flags = [
        '--name', `c${i}`, '--data-dir', join(dataDir, `c${i}`),
        '--listen-client-urls', client, '--advertise-client-urls', client,
        '--listen-peer-urls', peer(i), '--initial-advertise-peer-urls', peer(i),
        '--initial-cluster', initialCluster, '--initial-cluster-token', `bench-${kind}`, '--logger', 'zap',
      ];
      const [cmd, args] = kind === 'etcd' ? [bins.etcd, flags] : [process.execPath, [bins.etcdTs, ...flags]];
      return { child: spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] }), endpoint: `127.0.0.1:${ports[i]}`, log: '' };
    });
    const cluster = new ClusterServers(kind, members, dataDir, members.map((m) => m.endpoint));
    try {
      await Promise.all(members.map((m) => waitReady(m)));
      cluster.endpoints.splice(0, cluster.endpoints.length, ...(await leaderFirst(members.map((m) => m.endpoint))));
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** CPU and memory of every member (and its children), summed. */
  sample(): ProcSample {
    const samples = this.pids.map((pid) => sampleProcess(pid));
    return {
      cpuS: samples.reduce((sum, s) => sum + s.cpuS, 0),
      rssBytes: samples.reduce((sum, s) => sum + s.rssBytes, 0),
      peakRssBytes: samples.reduce((sum, s) => sum + s.peakRssBytes, 0),
      rssAnonBytes: samples.reduce((sum, s) => sum + s.rssAnonBytes, 0),
      rssFileBytes: samples.reduce((sum, s) => sum + s.rssFileBytes, 0),
    };
  }

  /** Safe to call twice; always removes the data dirs. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      await Promise.all(this.members.map((m) => stopChild(m.child)));
      rmSync(this.dataDir, { recursive: true, force: true });
    })();
    return this.stopped;
  }
}

function waitReady(member: Member): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`member ${member.endpoint} not ready within ${READY_TIMEOUT_MS} ms\n${member.log}`)), READY_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      member.log = (member.log + chunk.toString()).slice(-LOG_TAIL_CHARS);
      if (READY_MARKERS.some((marker) => member.log.includes(marker))) {
        clearTimeout(timer);
        resolve();
      }
    };
    member.child.stdout?.on('data', onData);
    member.child.stderr?.on('data', onData);
    member.child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`member ${member.endpoint} exited (code ${code})\n${member.log}`));
    });
  });
}

/** Asks each member for its status until one leader is named; returns the endpoints, the leader's first. */
async function leaderFirst(endpoints: readonly string[]): Promise<string[]> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const ids: Array<{ endpoint: string; id: bigint; leader: bigint }> = [];
    for (const endpoint of endpoints) {
      const connection = new GrpcJsConnection(endpoint, -2);
      try {
        await connection.waitReady();
        const bytes = await connection.callRaw(MaintenanceService.status.path, MaintenanceService.status.requestSerialize(StatusRequest.fromPartial({})));
        const status = MaintenanceService.status.responseDeserialize(bytes);
        ids.push({ endpoint, id: status.header?.memberId ?? 0n, leader: status.leader });
      } catch {
        // Not answering yet: ask again.
      } finally {
        connection.close();
      }
    }
    const leader = ids.find((line) => line.leader !== 0n && line.id === line.leader);
    if (ids.length === endpoints.length && leader !== undefined && ids.every((line) => line.leader === leader.id)) {
      return [leader.endpoint, ...endpoints.filter((e) => e !== leader.endpoint)];
    }
    await sleep(LEADER_POLL_MS);
  }
  throw new Error(`no leader among ${endpoints.join(', ')} within ${READY_TIMEOUT_MS} ms`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const graceful = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS).then(() => false)]);
    if (!graceful) {
      child.kill('SIGKILL');
      await Promise.race([exited, sleep(STOP_GRACE_MS)]);
    }
  }
  child.stdout?.destroy();
  child.stderr?.destroy();
}
