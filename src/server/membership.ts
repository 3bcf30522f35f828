// The cluster's members as the log defines them: ids, peer URLs, learner flags
// (changed by conf changes) and names and client URLs (published by each member
// through the log). Kept in the backend's members buckets in etcd's JSON form.
import type { Backend } from '../backend/backend.js';
import type { Member } from '../generated/etcdserverpb/rpc.js';
import type { MemberId } from '../raft/types.js';

/** Members a cluster may list; more is a corrupt bucket or a runaway client. */
export const MAX_MEMBERS = 1000;
const REMOVED_VALUE = Buffer.from('removed');

function keyOf(id: MemberId): Buffer {
  return Buffer.from(id.toString(16));
}

/** etcd's JSON, written by hand because the 64-bit id must stay exact. */
export function encodeMember(member: Member): Buffer {
  const parts = [`"id":${member.ID.toString()}`, `"peerURLs":${JSON.stringify(member.peerURLs)}`];
  if (member.isLearner) parts.push('"isLearner":true');
  if (member.name !== '') parts.push(`"name":${JSON.stringify(member.name)}`);
  if (member.clientURLs.length > 0) parts.push(`"clientURLs":${JSON.stringify(member.clientURLs)}`);
  return Buffer.from(`{${parts.join(',')}}`);
}

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

export function decodeMember(bytes: Buffer): Member {
  const text = bytes.toString('utf8');
  const idMatch = /"id"\s*:\s*(\d+)/.exec(text);
  const parsed: unknown = JSON.parse(text);
  if (idMatch?.[1] === undefined || typeof parsed !== 'object' || parsed === null) {
    throw new Error(`corrupt member record in the members bucket: ${text.slice(0, 200)}`);
  }
  const record = parsed as Record<string, unknown>;
  return {
    ID: BigInt(idMatch[1]),
    name: typeof record.name === 'string' ? record.name : '',
    peerURLs: stringArray(record.peerURLs),
    clientURLs: stringArray(record.clientURLs),
    isLearner: record.isLearner === true,
  };
}

export class Membership {
  private readonly members = new Map<MemberId, Member>();
  private readonly removed = new Set<MemberId>();

  constructor(private readonly backend: Backend) {
    this.reload();
  }

  /** Re-reads the member list from the backend (after a snapshot replaced it). */
  reload(): void {
    this.members.clear();
    this.removed.clear();
    for (const entry of this.backend.range('members', Buffer.alloc(0), undefined, MAX_MEMBERS)) {
      const member = decodeMember(entry.value);
      this.members.set(member.ID, member);
    }
    for (const entry of this.backend.range('members_removed', Buffer.alloc(0), undefined, MAX_MEMBERS)) {
      this.removed.add(BigInt(`0x${entry.key.toString()}`));
    }
  }

  get isEmpty(): boolean {
    return this.members.size === 0;
  }

  list(): Member[] {
    return [...this.members.values()].sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
  }

  get(id: MemberId): Member | undefined {
    return this.members.get(id);
  }

  isRemoved(id: MemberId): boolean {
    return this.removed.has(id);
  }

  voters(): MemberId[] {
    return this.list().filter((member) => !member.isLearner).map((member) => member.ID);
  }

  learners(): MemberId[] {
    return this.list().filter((member) => member.isLearner).map((member) => member.ID);
  }

  /** Adds or replaces a member (bootstrap, MemberAdd, MemberUpdate, MemberPromote all end here). */
  save(member: Member): void {
    this.members.set(member.ID, member);
    this.backend.put('members', keyOf(member.ID), encodeMember(member));
  }

  remove(id: MemberId): void {
    this.members.delete(id);
    this.removed.add(id);
    this.backend.delete('members', keyOf(id));
    this.backend.put('members_removed', keyOf(id), REMOVED_VALUE);
  }

  setAttributes(id: MemberId, name: string, clientUrls: readonly string[]): void {
    const member = this.members.get(id);
    if (member === undefined) return;
    this.save({ ...member, name, clientURLs: [...clientUrls] });
  }
}
