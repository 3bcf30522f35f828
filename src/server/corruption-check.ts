// etcd's corruption checks. At start-up (--experimental-initial-corrupt-check) a member
// that already holds data compares its HashKV with each peer's at the same revision and
// refuses to serve on a mismatch. Periodically (--experimental-corrupt-check-time) the
// leader compares its hash with its followers' and raises the CORRUPT alarm through the
// log on a mismatch; from then on the cluster refuses writes with "corrupt cluster".
import type { Logger } from '../log/logger.js';
import type { TlsMaterial } from '../tls/tls-material.js';
import { fetchPeerHashKv, type PeerHash } from './corruption-peer-hash.js';

/** How long one peer may take to answer a hash request (etcd's request timeout). */
export const PEER_HASH_TIMEOUT_MS = 7_000;

export interface LocalHash {
  readonly hash: number;
  /** The revision hashed (the store's current one). */
  readonly revision: number;
  readonly compactRevision: number;
}

export interface PeerRef {
  readonly id: bigint;
  readonly peerUrls: readonly string[];
}

export interface CorruptionCheckTarget {
  readonly memberId: bigint;
  readonly tls: TlsMaterial | null;
  localHash(): Promise<LocalHash>;
  /** Every other member with its peer URLs. */
  peers(): readonly PeerRef[];
}

export interface PeerHashAnswer {
  readonly peer: PeerRef;
  readonly answer: PeerHash;
}

/** Thrown when the initial check finds a mismatch; the process must not serve. */
export class CorruptionError extends Error {
  constructor(memberId: bigint) {
    super(`${hex(memberId)} found data inconsistency with peers`);
    this.name = 'CorruptionError';
  }
}

function hex(id: bigint): string {
  return id.toString(16);
}

/** Each peer's hash at `revision`, trying its URLs in turn (bounded by the member count and a timeout each). */
export async function peerHashes(target: CorruptionCheckTarget, revision: number, logger: Logger): Promise<PeerHashAnswer[]> {
  const answers: PeerHashAnswer[] = [];
  for (const peer of target.peers()) {
    let last: PeerHash | null = null;
    for (const url of peer.peerUrls) {
      last = await fetchPeerHashKv(url, revision, target.tls, PEER_HASH_TIMEOUT_MS);
      if (last.ok || last.reason !== 'unreachable') break;
      logger.warn('failed hash kv request', {
        'local-member-id': hex(target.memberId), 'requested-revision': revision, 'remote-peer-endpoint': url, error: last.detail,
      });
    }
    if (last !== null) answers.push({ peer, answer: last });
  }
  return answers;
}

/** The start-up check: throws CorruptionError if a peer at the same compact revision has another hash. */
export async function initialCorruptCheck(target: CorruptionCheckTarget, logger: Logger): Promise<void> {
  logger.info('starting initial corruption check', { 'local-member-id': hex(target.memberId), timeout: `${PEER_HASH_TIMEOUT_MS}ms` });
  const local = await target.localHash();
  let mismatches = 0;
  for (const { peer, answer } of await peerHashes(target, local.revision, logger)) {
    const fields = {
      'local-member-id': hex(target.memberId), 'local-member-revision': local.revision,
      'local-member-compact-revision': local.compactRevision, 'local-member-hash': local.hash,
      'remote-peer-id': hex(peer.id), 'remote-peer-endpoints': peer.peerUrls,
    };
    if (!answer.ok) {
      if (answer.reason === 'future-revision') logger.warn('cannot fetch hash from slow remote peer', { ...fields, error: answer.detail });
      if (answer.reason === 'compacted') logger.warn('cannot fetch hash from remote peer; local member is behind', { ...fields, error: answer.detail });
      continue;
    }
    if (answer.hash === local.hash) continue;
    const remote = { 'remote-peer-revision': answer.revision, 'remote-peer-compact-revision': answer.compactRevision, 'remote-peer-hash': answer.hash };
    if (answer.compactRevision === local.compactRevision) {
      logger.warn('found different hash values from remote peer', { ...fields, ...remote });
      mismatches++;
    } else {
      logger.warn('found different compact revision values from remote peer', { ...fields, ...remote });
    }
  }
  if (mismatches > 0) throw new CorruptionError(target.memberId);
  logger.info('initial corruption checking passed; no corruption', { 'local-member-id': hex(target.memberId) });
}

/** Which member, if any, a leader's check finds inconsistent: the rules of etcd's checkHashKV. */
export function findMismatch(before: LocalHash, after: LocalHash, answers: readonly PeerHashAnswer[], logger: Logger): bigint | null {
  let suspect: bigint | null = null;
  if (after.hash !== before.hash && after.revision === before.revision && after.compactRevision === before.compactRevision) {
    logger.warn('found hash mismatch', {
      'revision-1': before.revision, 'compact-revision-1': before.compactRevision, 'hash-1': before.hash,
      'revision-2': after.revision, 'compact-revision-2': after.compactRevision, 'hash-2': after.hash,
    });
    suspect = 0n;
  }
  for (const { peer, answer } of answers) {
    if (!answer.ok) continue;
    const follower = { 'follower-peer-id': hex(peer.id) };
    if (answer.revision > after.revision) {
      logger.warn("revision from follower must be less than or equal to leader's", { 'leader-revision': after.revision, 'follower-revision': answer.revision, ...follower });
      suspect ??= peer.id;
    }
    if (answer.compactRevision > after.compactRevision) {
      logger.warn("compact revision from follower must be less than or equal to leader's", {
        'leader-compact-revision': after.compactRevision, 'follower-compact-revision': answer.compactRevision, ...follower,
      });
      suspect ??= peer.id;
    }
    if (answer.compactRevision === before.compactRevision && answer.hash !== before.hash) {
      logger.warn('same compact revision then hashes must match', {
        'leader-compact-revision': after.compactRevision, 'leader-hash': before.hash,
        'follower-compact-revision': answer.compactRevision, 'follower-hash': answer.hash, ...follower,
      });
      suspect ??= peer.id;
    }
  }
  logger.info('finished peer corruption check', { 'number-of-peers-checked': answers.filter(({ answer }) => answer.ok).length });
  return suspect;
}

/** The parts of a member's storage the checks read. */
export interface CheckedStorage {
  readonly identity: { readonly memberId: bigint };
  readonly store: { hashKV(revision: number): Promise<{ hash: number; compactRevision: number; hashRevision: number }> };
  readonly membership: { list(): ReadonlyArray<{ readonly ID: bigint; readonly peerURLs: readonly string[] }> };
}

export function corruptionTarget(storage: CheckedStorage, tls: TlsMaterial | null): CorruptionCheckTarget {
  const memberId = storage.identity.memberId;
  return {
    memberId,
    tls,
    localHash: async () => {
      const result = await storage.store.hashKV(0);
      return { hash: result.hash, revision: result.hashRevision, compactRevision: result.compactRevision };
    },
    peers: () => storage.membership.list().filter((member) => member.ID !== memberId).map((member) => ({ id: member.ID, peerUrls: member.peerURLs })),
  };
}
