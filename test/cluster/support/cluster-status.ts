// What each member says about the cluster (its ID, the leader it follows, its term),
// and waiting until the running members agree on one leader.
import { setTimeout as sleep } from 'node:timers/promises';
import { MaintenanceService, StatusRequest } from '../../../src/generated/etcdserverpb/rpc.js';
import { rawClient, unary } from '../../support/grpc-raw.js';

const STATUS_DEADLINE_MS = 1_000;
const AGREE_PAUSE_MS = 100;

export interface MemberStatus {
  readonly endpoint: string;
  readonly memberId: bigint;
  readonly leader: bigint;
  readonly term: bigint;
  readonly errors: readonly string[];
}

/** One line per member that answered; a member that is down or paused has none. */
export async function memberStatuses(endpoints: readonly string[]): Promise<MemberStatus[]> {
  const answers = await Promise.all(endpoints.map(async (endpoint): Promise<MemberStatus | null> => {
    const client = rawClient(endpoint);
    try {
      const status = await unary(client, MaintenanceService.status, StatusRequest.fromPartial({}), STATUS_DEADLINE_MS);
      return { endpoint, memberId: status.header?.memberId ?? 0n, leader: status.leader, term: status.raftTerm, errors: status.errors };
    } catch {
      return null;
    } finally {
      client.close();
    }
  }));
  return answers.filter((answer): answer is MemberStatus => answer !== null);
}

/** Waits until every listed endpoint answers and names the same, nonzero leader; returns its statuses. */
export async function agreedLeader(endpoints: readonly string[], deadlineMs: number): Promise<MemberStatus[]> {
  const started = Date.now();
  for (;;) {
    const lines = await memberStatuses(endpoints);
    const leaders = new Set(lines.map((line) => line.leader));
    const leader = lines[0]?.leader ?? 0n;
    if (lines.length === endpoints.length && leaders.size === 1 && leader !== 0n) return lines;
    if (Date.now() - started > deadlineMs) throw new Error(`no agreed leader within ${deadlineMs} ms: ${JSON.stringify(lines, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v))}`);
    await sleep(AGREE_PAUSE_MS);
  }
}
