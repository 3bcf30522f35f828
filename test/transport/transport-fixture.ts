// Test helpers: a transport on 127.0.0.1 port 0 that records what it receives and
// reports, a logger that keeps its lines, and a bounded wait for a condition.
import type { LogFields, Logger } from '../../src/log/logger.js';
import { makeMessage, MessageType, type Message } from '../../src/raft/message.js';
import type { MemberId } from '../../src/raft/types.js';
import { PeerTransport, type PeerTransportOptions } from '../../src/transport/peer-transport.js';

export const CLUSTER_ID = 0xc1a5e7e1dn;
/** The sequence number of connectAndWait's probes, far above any test's own. */
export const PROBE_SEQ = 1_000_000_000;

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly fields: LogFields;
}

export function recordingLogger(): Logger & { readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (msg: string, fields?: LogFields): void => {
    lines.push({ level, msg, fields: fields ?? {} });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), flush: () => undefined };
}

export interface Member {
  readonly id: MemberId;
  readonly transport: PeerTransport;
  readonly received: Message[];
  readonly unreachable: MemberId[];
  readonly snapshotStatuses: { peer: MemberId; ok: boolean }[];
  readonly logger: ReturnType<typeof recordingLogger>;
}

export async function startMember(
  id: MemberId,
  overrides: Partial<PeerTransportOptions> = {},
): Promise<Member> {
  const received: Message[] = [];
  const unreachable: MemberId[] = [];
  const snapshotStatuses: { peer: MemberId; ok: boolean }[] = [];
  const logger = recordingLogger();
  const transport = await PeerTransport.listen({
    memberId: id,
    clusterId: CLUSTER_ID,
    listenUrls: [new URL('http://127.0.0.1:0')],
    logger,
    onMessage: (m) => received.push(m),
    onUnreachable: (peer) => unreachable.push(peer),
    onSnapshotStatus: (peer, ok) => snapshotStatuses.push({ peer, ok }),
    random: () => 0.5,
    ...overrides,
  });
  return { id, transport, received, unreachable, snapshotStatuses, logger };
}

/** Every member learns every other member's URLs. */
export function connectAll(members: readonly Member[]): void {
  for (const a of members) {
    for (const b of members) if (a !== b) a.transport.setPeer(b.id, b.transport.boundUrls);
  }
}

/** Connects every pair and waits until a probe has crossed each link, then forgets the probes. */
export async function connectAndWait(members: readonly Member[]): Promise<void> {
  connectAll(members);
  for (const m of members) m.transport.send(members.filter((p) => p !== m).map((p) => numbered(m.id, p.id, PROBE_SEQ)));
  await waitUntil('every link to carry a probe', () => members.every((m) => m.received.length === members.length - 1));
  for (const m of members) m.received.length = 0;
}

/** Lets the event loop run once, as between two raft Readies. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export async function closeAll(members: readonly Member[]): Promise<void> {
  await Promise.all(members.map((m) => m.transport.close()));
}

/** Polls until `condition` holds; fails the test after `timeoutMs`. */
export async function waitUntil(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  // Bounded by the deadline.
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A heartbeat-sized message whose `index` carries a sequence number. */
export function numbered(from: MemberId, to: MemberId, seq: number, type = MessageType.MsgHeartbeat): Message {
  return makeMessage({ type, from, to, term: 1, index: seq, commit: seq });
}

/** An append carrying `entryBytes` of payload, as a leader replicating writes sends. */
export function append(from: MemberId, to: MemberId, seq: number, entryBytes: number): Message {
  return makeMessage({
    type: MessageType.MsgApp, from, to, term: 1, index: seq, logTerm: 1, commit: seq,
    entries: [{ term: 1, index: seq + 1, type: 0, data: new Uint8Array(entryBytes).fill(seq & 0xff) }],
  });
}
