// The lease keep-alive load: one LeaseKeepAlive stream per connection, clients renewing their
// share of the pre-granted leases in turn, each waiting for its renewal's reply (closed loop) or
// paced; a reply is matched to its client by lease id, since no two clients share a lease.
import { performance } from 'node:perf_hooks';
import { LeaseKeepAliveRequest, LeaseService } from '../src/generated/etcdserverpb/rpc.js';
import type { LoadConnection } from './load-connection.js';
import type { WorkerGo, WorkerSetup } from './load-protocol.js';
import { leaseReply } from './proto-scan.js';
import { countError, type ClientsRun, type Tally } from './worker-tally.js';
import { localMs, pacerFor, sleep, waitTurn } from './worker-pacing.js';

/** Hard cap on renewals per client, whatever the duration. */
const CLIENT_RENEWALS_MAX = 50_000_000;
/** Renewals still unanswered this long after the stop time fail as DEADLINE_EXCEEDED. */
const REPLY_GRACE_MS = 5_000;

type Reply = string;

interface KeepAliveStream {
  pending: Map<bigint, (outcome: Reply) => void>;
  send(payload: Buffer): void;
  close(): void;
  ended: Reply | undefined;
}

function openKeepAliveStream(connection: LoadConnection, tally: Tally, closing: () => boolean): KeepAliveStream {
  const ka: KeepAliveStream = { pending: new Map(), send: () => undefined, close: () => undefined, ended: undefined };
  const stream = connection.openStream(LeaseService.leaseKeepAlive.path, {
    onMessage: (m) => {
      const { id, ttl } = leaseReply(m);
      const resolve = ka.pending.get(id);
      if (!resolve) return countError(tally, 'UNEXPECTED_REPLY');
      ka.pending.delete(id);
      resolve(ttl > 0 ? 'OK' : 'LEASE_NOT_FOUND');
    },
    onEnd: (outcome) => {
      ka.ended = outcome === 'OK' && !closing() ? 'STREAM_ENDED' : outcome;
      for (const resolve of ka.pending.values()) resolve(ka.ended);
      ka.pending.clear();
    },
  });
  ka.send = (payload) => stream.send(payload);
  ka.close = () => stream.close();
  return ka;
}

async function runClient(setup: WorkerSetup, index: number, streams: KeepAliveStream[], go: WorkerGo, tally: Tally): Promise<void> {
  const client = setup.clients[index];
  const stream = client && streams[client.connection];
  if (!client || !stream) return;
  const ids = (setup.leaseIds ?? []).filter((_, i) => i % setup.totalClients === client.clientId);
  if (ids.length === 0) return;
  const requests = ids.map((ID) => LeaseService.leaseKeepAlive.requestSerialize(LeaseKeepAliveRequest.fromPartial({ ID })));
  const pacer = pacerFor(localMs(go.startEpochMs), localMs(go.measureEpochMs), setup.clientRatePerS, client.clientId, setup.totalClients);
  const measureMs = localMs(go.measureEpochMs);
  const stopMs = localMs(go.stopEpochMs);
  const quota = setup.clientQuota?.[index];
  let measured = 0;
  for (let i = 0; i < CLIENT_RENEWALS_MAX && stream.ended === undefined; i += 1) {
    const slot = i % ids.length;
    const sentMs = await waitTurn(pacer, i, () => (tally.lateStarts += 1));
    if (performance.now() >= stopMs || (quota !== undefined && measured >= quota)) break;
    const outcome = await new Promise<Reply>((resolve) => {
      stream.pending.set(ids[slot] ?? 0n, resolve);
      stream.send(requests[slot] ?? Buffer.alloc(0));
    });
    const endMs = performance.now();
    if (sentMs < measureMs) continue;
    measured += 1;
    tally.lastEndMs = Math.max(tally.lastEndMs, endMs);
    if (outcome !== 'OK') countError(tally, outcome);
    else {
      tally.okCount += 1;
      tally.histogram.record((endMs - sentMs) * 1000);
    }
  }
}

/** Opens one keep-alive stream per connection; the run renews until the stop time. */
export function keepAliveClients(setup: WorkerSetup, connections: LoadConnection[], tally: Tally): ClientsRun {
  let closing = false;
  const streams = connections.map((c) => openKeepAliveStream(c, tally, () => closing));
  return async (go) => {
    // Replies that never come must not hold the worker past the run.
    const giveUp = setTimeout(() => {
      for (const s of streams) for (const resolve of s.pending.values()) resolve('DEADLINE_EXCEEDED');
    }, Math.max(0, localMs(go.stopEpochMs) - performance.now() + REPLY_GRACE_MS));
    try {
      await Promise.all(setup.clients.map((_, i) => runClient(setup, i, streams, go, tally)));
    } finally {
      clearTimeout(giveUp);
      closing = true;
      for (const s of streams) s.close();
      await sleep(0);
    }
  };
}
