// The checks etcd makes before a membership change is proposed, and how a
// committed change updates the member list. Checks run on the proposing member;
// the update runs on every member in log order.
import { EtcdError } from '../errors/etcd-error.js';
import type { Member } from '../generated/etcdserverpb/rpc.js';
import { ConfChangeType, type ConfChange, type MemberId } from '../raft/types.js';
import type { Membership } from './membership.js';

/** etcd allows one learner at a time. */
export const MAX_LEARNERS = 1;
/** A learner may be promoted once its log has reached this share of the leader's. */
export const LEARNER_READY_PERCENT = 90;
const PEER_URL_PROTOCOLS = new Set(['http:', 'https:', 'unix:', 'unixs:']);

function quorum(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/** A member counts as started once it has published its name through the log. */
function startedVoters(members: readonly Member[]): number {
  return members.filter((member) => !member.isLearner && member.name !== '').length;
}

export function checkPeerUrls(urls: readonly string[]): void {
  if (urls.length === 0) throw new EtcdError('MemberBadURLs');
  for (const text of urls) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new EtcdError('MemberBadURLs');
    }
    if (!PEER_URL_PROTOCOLS.has(url.protocol) || url.port === '' || (url.pathname !== '' && url.pathname !== '/')) {
      throw new EtcdError('MemberBadURLs');
    }
  }
}

function checkUrlsUnused(membership: Membership, urls: readonly string[], except: MemberId | null): void {
  for (const member of membership.list()) {
    if (member.ID === except) continue;
    if (member.peerURLs.some((url) => urls.includes(url))) throw new EtcdError('PeerURLExist');
  }
}

export function checkMemberAdd(membership: Membership, member: Member, strict: boolean): void {
  checkPeerUrls(member.peerURLs);
  if (membership.get(member.ID) !== undefined || membership.isRemoved(member.ID)) throw new EtcdError('MemberExist');
  checkUrlsUnused(membership, member.peerURLs, null);
  const members = membership.list();
  if (member.isLearner) {
    if (members.filter((m) => m.isLearner).length >= MAX_LEARNERS) throw new EtcdError('TooManyLearners');
    return;
  }
  const voters = members.filter((m) => !m.isLearner).length + 1;
  const started = startedVoters(members);
  // etcd lets a lone started member take a second voter (how a restored cluster grows back).
  if (started === 1 && voters === 2) return;
  if (strict && started < quorum(voters)) throw new EtcdError('MemberNotEnoughStarted');
}

export function checkMemberRemove(membership: Membership, id: MemberId, strict: boolean): void {
  const member = membership.get(id);
  if (member === undefined) throw new EtcdError('MemberNotFound');
  if (!strict || member.isLearner) return;
  const remaining = membership.list().filter((m) => m.ID !== id);
  const voters = remaining.filter((m) => !m.isLearner).length;
  if (startedVoters(remaining) < quorum(voters)) throw new EtcdError('MemberNotEnoughStarted');
}

export function checkMemberUpdate(membership: Membership, id: MemberId, urls: readonly string[]): void {
  if (membership.get(id) === undefined) throw new EtcdError('MemberNotFound');
  checkPeerUrls(urls);
  checkUrlsUnused(membership, urls, id);
}

/** `learnerMatch`/`leaderCommit` come from the leader's raft progress; null when unknown here. */
export function checkMemberPromote(membership: Membership, id: MemberId, learnerMatch: number | null, leaderCommit: number): void {
  const member = membership.get(id);
  if (member === undefined) throw new EtcdError('MemberNotFound');
  if (!member.isLearner) throw new EtcdError('MemberNotLearner');
  if (learnerMatch === null || learnerMatch * 100 < leaderCommit * LEARNER_READY_PERCENT) throw new EtcdError('LearnerNotReady');
}

export function confChangeTypeFor(kind: 'add' | 'remove' | 'update' | 'promote', isLearner: boolean): ConfChangeType {
  switch (kind) {
    case 'add':
      return isLearner ? ConfChangeType.AddLearnerNode : ConfChangeType.AddNode;
    case 'remove':
      return ConfChangeType.RemoveNode;
    case 'update':
      return ConfChangeType.UpdateNode;
    case 'promote':
      return ConfChangeType.AddNode;
  }
}

/** Applies a committed change to the member list; `member` comes from the change's context. */
export function applyMemberChange(membership: Membership, change: ConfChange, member: Member | undefined): void {
  switch (change.type) {
    case ConfChangeType.AddNode:
    case ConfChangeType.AddLearnerNode: {
      const existing = membership.get(change.memberId);
      const isLearner = change.type === ConfChangeType.AddLearnerNode;
      if (existing !== undefined) membership.save({ ...existing, isLearner });
      else if (member !== undefined) membership.save({ ...member, ID: change.memberId, isLearner });
      return;
    }
    case ConfChangeType.RemoveNode:
      membership.remove(change.memberId);
      return;
    case ConfChangeType.UpdateNode: {
      const existing = membership.get(change.memberId);
      if (existing !== undefined && member !== undefined) membership.save({ ...existing, peerURLs: [...member.peerURLs] });
      return;
    }
  }
}
