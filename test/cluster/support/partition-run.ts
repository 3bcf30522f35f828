// One seeded fault run on a real three-member cluster with a TCP proxy in front of each
// peer port: clients write, read and compare-and-set a few keys, a watcher follows them
// across leader changes, and a nemesis cuts the leader or a follower off from its peers,
// SIGKILLs and restarts members, and pauses them (SIGSTOP/SIGCONT). Afterwards the history
// is checked for linearizability, every acknowledged write must be in the store's history
// as the watcher saw it, and the watcher must have seen every revision exactly once, in order.
// Used by test/cluster/partition-faults.test.ts (short) and scripts/partition-soak.mjs (long).
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterProcess } from './cluster-process.js';
import { agreedLeader, memberStatuses } from './cluster-status.js';
import { rawClient, unary } from '../../support/grpc-raw.js';
import { KVService, PutRequest, RangeRequest } from '../../../src/generated/etcdserverpb/rpc.js';
import { call, nowNs, runKvClient, type Recorder } from './kv-workload.js';
import { Etcd } from '../../../src/client/index.js';
import { checkKvHistory, type KvOperation } from '../../../src/linearizability/index.js';
import { seededRandom, type SeededRandom } from '../../../src/util/seeded-random.js';

const KEYS = ['f/a', 'f/b', 'f/c'];
const CALL_DEADLINE_MS = 1_000;
const FAULT_GAP_MS = 2_000;
const FAULT_LENGTH_MS = 3_000;
const SETTLE_DEADLINE_MS = 20_000;
const FINAL_READ_ATTEMPTS_MAX = 40;
const RETRY_PAUSE_MS = 250;
/** Watch events kept at most (a run writes far fewer). */
const WATCH_EVENTS_MAX = 1_000_000;

export const FAULT_KINDS = ['partition-leader', 'partition-follower', 'kill-9', 'sigstop'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface PartitionRunOptions {
  readonly seed: number;
  readonly durationMs: number;
  readonly clients: number;
  readonly log?: (line: string) => void;
}

export interface PartitionRunReport {
  readonly seed: number;
  readonly operations: number;
  readonly answered: number;
  readonly faults: Record<string, number>;
  readonly anomalies: string[];
  /** Longest time between two acknowledged writes, from the first fault on. */
  readonly longestUnavailableMs: number;
  readonly watchedRevisions: number;
  /** The checker's verdict: true, false (an anomaly is listed) or 'unknown' (budget ran out). */
  readonly linearizable: boolean | 'unknown';
}

/** The member every running member follows now (a short wait for an election). */
type Member = ClusterProcess['members'][number];

async function currentLeader(cluster: ClusterProcess): Promise<Member | null> {
  const running = cluster.members.filter((member) => member.running);
  const lines = await memberStatuses(running.map((member) => member.endpoint));
  const leaderId = lines.find((line) => line.leader !== 0n)?.leader;
  const line = lines.find((candidate) => candidate.memberId === leaderId);
  return running.find((member) => member.endpoint === line?.endpoint) ?? null;
}

async function injectFault(cluster: ClusterProcess, kind: FaultKind, random: SeededRandom): Promise<string> {
  const leader = await currentLeader(cluster);
  const followers = cluster.members.filter((member) => member !== leader);
  const follower = followers[random.int(0, followers.length - 1)] ?? cluster.member(0);
  const anyone = cluster.member(random.int(0, cluster.members.length - 1));
  switch (kind) {
    case 'partition-leader':
    case 'partition-follower': {
      const victim = kind === 'partition-leader' ? (leader ?? anyone) : follower;
      victim.proxy?.cut();
      await sleep(FAULT_LENGTH_MS);
      victim.proxy?.heal();
      return victim.name;
    }
    case 'kill-9':
      await anyone.kill();
      await sleep(FAULT_LENGTH_MS);
      await anyone.start();
      return anyone.name;
    case 'sigstop':
      anyone.pause();
      await sleep(FAULT_LENGTH_MS);
      anyone.resume();
      return anyone.name;
  }
}

function shuffled<T>(items: readonly T[], random: SeededRandom): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

async function nemesis(cluster: ClusterProcess, seed: number, stopAt: number, counts: Record<string, number>, log: (line: string) => void): Promise<number> {
  const random = seededRandom(seed);
  let firstFaultNs = 0;
  let cycle: FaultKind[] = [];
  for (let round = 0; Date.now() + FAULT_GAP_MS + FAULT_LENGTH_MS < stopAt; round++) {
    await sleep(FAULT_GAP_MS);
    // Every kind comes up once per cycle of four, in a seeded order.
    if (cycle.length === 0) cycle = shuffled(FAULT_KINDS, random);
    const kind = cycle.pop() ?? 'sigstop';
    if (firstFaultNs === 0) firstFaultNs = nowNs();
    const victim = await injectFault(cluster, kind, random);
    counts[kind] = (counts[kind] ?? 0) + 1;
    log(`fault ${round + 1}: ${kind} on ${victim}`);
  }
  return firstFaultNs;
}

interface WatchedEvent {
  readonly revision: bigint;
  readonly key: string;
  readonly value: string;
}

async function followWatch(etcd: Etcd, startRevision: bigint, events: WatchedEvent[], signal: AbortSignal): Promise<void> {
  const watcher = await etcd.watch('f/', { prefix: true, startRevision });
  signal.addEventListener('abort', () => void watcher.close(), { once: true });
  try {
    for await (const event of watcher.events()) {
      if (events.length >= WATCH_EVENTS_MAX) break;
      events.push({ revision: event.kv.modRevision, key: event.kv.key.toString(), value: event.kv.value.toString() });
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  }
}

async function finalReads(endpoint: string, recorder: Recorder, clientId: number): Promise<bigint> {
  const client = rawClient(endpoint);
  let revision = 0n;
  try {
    for (const key of KEYS) {
      for (let attempt = 0; attempt < FINAL_READ_ATTEMPTS_MAX; attempt++) {
        const invokeTimeNs = nowNs();
        try {
          const response = await call(client, KVService.range, RangeRequest.fromPartial({ key: Buffer.from(key) }));
          recorder.ops.push({ kind: 'read', clientId, key, input: null, output: { value: response.kvs[0]?.value.toString() ?? null }, invokeTimeNs, returnTimeNs: nowNs() });
          revision = response.header?.revision ?? revision;
          break;
        } catch {
          await sleep(RETRY_PAUSE_MS);
        }
      }
    }
  } finally {
    client.close();
  }
  return revision;
}

/** Every acknowledged write in the watched history, and each revision after the start exactly once, in order. */
function historyAnomalies(ops: readonly KvOperation[], events: readonly WatchedEvent[], startRevision: bigint, finalRevision: bigint): string[] {
  const anomalies: string[] = [];
  const seen = new Set(events.map((event) => `${event.key}=${event.value}`));
  for (const op of ops) {
    if (op.kind !== 'write' && op.kind !== 'cas') continue;
    const acked = op.kind === 'write' ? op.output !== null : op.output?.ok === true;
    if (acked && !seen.has(`${op.key}=${op.input.value}`)) anomalies.push(`acknowledged write ${op.key}=${op.input.value} is missing from the history`);
  }
  let expected = startRevision;
  for (const event of events) {
    if (event.revision !== expected) {
      anomalies.push(`watch saw revision ${event.revision} where ${expected} was next`);
      break;
    }
    expected++;
  }
  if (anomalies.length === 0 && expected !== finalRevision + 1n) anomalies.push(`watch ended at revision ${expected - 1n}, the store is at ${finalRevision}`);
  return anomalies;
}

function longestGapMs(timesNs: readonly number[], fromNs: number, toNs: number): number {
  const sorted = [fromNs, ...timesNs.filter((t) => t >= fromNs), toNs].sort((a, b) => a - b);
  let longest = 0;
  for (let i = 1; i < sorted.length; i++) longest = Math.max(longest, (sorted[i] ?? 0) - (sorted[i - 1] ?? 0));
  return Math.round(longest / 1e6);
}

async function healEverything(cluster: ClusterProcess): Promise<void> {
  for (const member of cluster.members) {
    member.proxy?.heal();
    member.resume();
    if (!member.running) await member.start();
  }
}

export async function runPartitionFaults(options: PartitionRunOptions): Promise<PartitionRunReport> {
  const log = options.log ?? ((): void => undefined);
  const cluster = await ClusterProcess.start(3, { peerProxies: true });
  const etcd = new Etcd({ endpoints: cluster.endpoints(), dialTimeoutMs: CALL_DEADLINE_MS * 5 });
  const watching = new AbortController();
  try {
    await agreedLeader(cluster.endpoints(), SETTLE_DEADLINE_MS);
    const setup = rawClient(cluster.endpoints()[0] ?? '');
    const startRevision = ((await unary(setup, KVService.put, PutRequest.fromPartial({ key: Buffer.from('f/start'), value: Buffer.from('0') }))).header?.revision ?? 0n) + 1n;
    setup.close();
    const events: WatchedEvent[] = [];
    const watch = followWatch(etcd, startRevision, events, watching.signal);
    const recorder: Recorder = { ops: [], ackedWriteTimesNs: [] };
    const faults: Record<string, number> = {};
    const stopAt = Date.now() + options.durationMs;
    const [firstFaultNs] = await Promise.all([
      nemesis(cluster, options.seed, stopAt, faults, log),
      ...Array.from({ length: options.clients }, (_, id) => runKvClient({ clientId: id, seed: options.seed, endpoints: cluster.endpoints(), keys: KEYS, stopAt, recorder })),
    ]);
    const endNs = nowNs();
    await healEverything(cluster);
    const finalRevision = await finalReads(cluster.endpoints()[0] ?? '', recorder, options.clients);
    const watchDeadline = Date.now() + SETTLE_DEADLINE_MS;
    while ((events.at(-1)?.revision ?? 0n) < finalRevision && Date.now() < watchDeadline) await sleep(RETRY_PAUSE_MS);
    watching.abort();
    await watch;
    const check = checkKvHistory(recorder.ops);
    const anomalies = historyAnomalies(recorder.ops, events, startRevision, finalRevision);
    if (check.ok === false) anomalies.unshift(`not linearizable on key ${check.key}:\n${check.explanation.text}`);
    return {
      seed: options.seed,
      operations: recorder.ops.length,
      answered: recorder.ops.filter((op) => op.returnTimeNs !== null).length,
      faults,
      anomalies,
      longestUnavailableMs: firstFaultNs === 0 ? 0 : longestGapMs(recorder.ackedWriteTimesNs, firstFaultNs, endNs),
      watchedRevisions: events.length,
      linearizable: check.ok === 'unknown' ? 'unknown' : check.ok,
    };
  } finally {
    watching.abort();
    await etcd.close();
    await healEverything(cluster).catch(() => undefined);
    await cluster.stop();
  }
}
