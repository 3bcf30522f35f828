// The messages raft members exchange, plus the local-only kinds the application
// and the core step into themselves (MsgHup, MsgBeat, MsgUnreachable, ...).

import { NO_MEMBER, type Entry, type MemberId, type Snapshot } from './types.js';

export enum MessageType {
  MsgHup = 0,
  MsgBeat = 1,
  MsgProp = 2,
  MsgApp = 3,
  MsgAppResp = 4,
  MsgVote = 5,
  MsgVoteResp = 6,
  MsgSnap = 7,
  MsgHeartbeat = 8,
  MsgHeartbeatResp = 9,
  MsgUnreachable = 10,
  MsgSnapStatus = 11,
  MsgCheckQuorum = 12,
  MsgTransferLeader = 13,
  MsgTimeoutNow = 14,
  MsgReadIndex = 15,
  MsgReadIndexResp = 16,
  MsgPreVote = 17,
  MsgPreVoteResp = 18,
}

/** The highest MessageType value, for decoders that validate the enum. */
export const MESSAGE_TYPE_MAX = MessageType.MsgPreVoteResp;

export interface Message {
  readonly type: MessageType;
  readonly to: MemberId;
  readonly from: MemberId;
  readonly term: number;
  /** Term of the entry at `index` (appends), or of the candidate's last entry (votes). */
  readonly logTerm: number;
  readonly index: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
  readonly snapshot?: Snapshot;
  readonly reject: boolean;
  /** On a rejected append: the follower's guess of the last index that may match. */
  readonly rejectHint: number;
  readonly context: Uint8Array;
}

const EMPTY_BYTES = new Uint8Array(0);
const NO_ENTRIES: readonly Entry[] = Object.freeze([]);

/**
 * Builds a message, defaulting every field the caller does not name; `from` and
 * `term`, when given, take the place of the fields' own. Every message gets the same
 * fields in the same order (no spreads): raft makes several per proposal, and objects
 * of one shape are built and read on V8's fast paths.
 */
export function makeMessage(
  fields: Partial<Message> & { type: MessageType },
  from: MemberId = fields.from ?? NO_MEMBER,
  term: number = fields.term ?? 0,
): Message {
  return {
    type: fields.type,
    to: fields.to ?? NO_MEMBER,
    from,
    term,
    logTerm: fields.logTerm ?? 0,
    index: fields.index ?? 0,
    entries: fields.entries ?? NO_ENTRIES,
    commit: fields.commit ?? 0,
    snapshot: fields.snapshot,
    reject: fields.reject ?? false,
    rejectHint: fields.rejectHint ?? 0,
    context: fields.context ?? EMPTY_BYTES,
  };
}

/** Messages that never leave the node that created them. */
export function isLocalMessage(type: MessageType): boolean {
  return (
    type === MessageType.MsgHup ||
    type === MessageType.MsgBeat ||
    type === MessageType.MsgUnreachable ||
    type === MessageType.MsgSnapStatus ||
    type === MessageType.MsgCheckQuorum
  );
}

/** Responses, which a node may receive from members it does not (yet) track. */
export function isResponseMessage(type: MessageType): boolean {
  return (
    type === MessageType.MsgAppResp ||
    type === MessageType.MsgVoteResp ||
    type === MessageType.MsgHeartbeatResp ||
    type === MessageType.MsgUnreachable ||
    type === MessageType.MsgPreVoteResp
  );
}

/** The response type that answers a (pre-)vote request. */
export function voteResponseType(type: MessageType): MessageType {
  return type === MessageType.MsgPreVote ? MessageType.MsgPreVoteResp : MessageType.MsgVoteResp;
}
