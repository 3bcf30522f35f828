// Whether a dialing peer may talk to this member: same protocol version, same
// cluster, a sender id, a sender not removed, and this member as the addressee.
// Both the message stream preface and the snapshot upload's headers are checked here.
import type { MemberId } from '../raft/types.js';
import type { InboundContext } from './inbound-handler.js';
import {
  idToHex, PROTOCOL_VERSION, STATUS_BAD_REQUEST, STATUS_MEMBER_REMOVED, STATUS_PRECONDITION_FAILED,
} from './wire-protocol.js';

/** What the caller says about itself; ids are null when absent or unreadable, `shown` is for logs. */
export interface CallerClaims {
  readonly version: string | undefined;
  readonly clusterId: bigint | null;
  readonly from: MemberId | null;
  readonly to: MemberId | null;
  readonly shown: { readonly clusterId: string; readonly from: string; readonly to: string };
}

export type CallerVerdict =
  | { readonly accepted: true; readonly from: MemberId }
  | { readonly accepted: false; readonly status: number; readonly text: string };

function refused(status: number, text: string): CallerVerdict {
  return { accepted: false, status, text };
}

/** Checks the claims, logging why a caller is refused where an operator needs to know. */
export function checkCaller(ctx: InboundContext, claims: CallerClaims): CallerVerdict {
  const fields = { 'local-member-id': idToHex(ctx.memberId), 'remote-peer-id': claims.shown.from };
  if (claims.version !== PROTOCOL_VERSION) {
    ctx.logger.warn('refused peer stream: unsupported peer protocol version', { ...fields, 'remote-protocol': String(claims.version) });
    return refused(STATUS_PRECONDITION_FAILED, 'incompatible peer protocol version');
  }
  if (claims.clusterId !== ctx.clusterId) {
    ctx.logger.warn('refused peer stream: request cluster ID mismatch', {
      ...fields, 'local-member-cluster-id': idToHex(ctx.clusterId), 'remote-peer-cluster-id': claims.shown.clusterId,
    });
    return refused(STATUS_PRECONDITION_FAILED, 'cluster ID mismatch');
  }
  if (claims.from === null) return refused(STATUS_BAD_REQUEST, 'missing sender member id');
  // Tells a removed member that it is gone, so it stops (etcd's 410 Gone).
  if (ctx.isRemoved(claims.from)) return refused(STATUS_MEMBER_REMOVED, 'the member has been permanently removed from the cluster');
  if (claims.to !== ctx.memberId) {
    ctx.logger.warn('refused peer stream: addressed to another member', { ...fields, 'remote-target-id': claims.shown.to });
    return refused(STATUS_PRECONDITION_FAILED, 'to field mismatch');
  }
  return { accepted: true, from: claims.from };
}
