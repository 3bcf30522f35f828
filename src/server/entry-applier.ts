// Applies one committed log request to the state machine: the only place the
// store changes. Runs synchronously inside the apply loop, in log order, on every
// member alike; what it returns goes to the proposer's waiter, if any.
import { applyDeleteRange, applyPut, applyTxn } from '../apply/index.js';
import { EtcdError, isEtcdError } from '../errors/etcd-error.js';
import {
  AlarmRequest_AlarmAction,
  AlarmType,
  type AlarmMember,
  type AlarmRequest,
  type AlarmResponse,
  type CompactionRequest,
  type ResponseHeader,
} from '../generated/etcdserverpb/rpc.js';
import type { LogRequest } from '../generated/internalpb/internal.js';
import { applyLeaseCheckpoint, applyLeaseGrant, applyLeaseRevoke } from '../lease/apply-lease.js';
import type { Lessor } from '../lease/lessor.js';
import type { WriteResult, WriteTxn } from '../mvcc/kv-view.js';
import type { MvccStore } from '../mvcc/mvcc-store.js';
import type { AlarmStore } from './alarm-store.js';
import type { Membership } from './membership.js';
import { txnHasPut } from './txn-shape.js';
import type { ApplyOutcome } from './waiters.js';

export interface ApplyContext {
  readonly store: MvccStore;
  readonly alarms: AlarmStore;
  readonly membership: Membership;
  readonly lessor: Lessor;
  header(revision: number): ResponseHeader;
  /** Every write that changed the store, for watchers. */
  onWrite(result: WriteResult): void;
}

/** The result a Compact waiter receives: the response, and when the history is gone from disk. */
export interface CompactionOutcome {
  readonly response: { header: ResponseHeader };
  readonly physical: Promise<void>;
}

export function applyLogRequest(ctx: ApplyContext, request: LogRequest): ApplyOutcome {
  try {
    return { ok: true, value: dispatch(ctx, request) };
  } catch (error) {
    if (isEtcdError(error)) return { ok: false, error };
    throw error;
  }
}

/** etcd's corrupt applier: while CORRUPT is raised, these requests fail with "corrupt cluster". */
const REFUSED_WHILE_CORRUPT: ReadonlySet<string> = new Set(['put', 'deleteRange', 'txn', 'compaction', 'leaseGrant', 'leaseRevoke']);

function dispatch(ctx: ApplyContext, request: LogRequest): unknown {
  const op = request.op;
  if (op !== undefined && REFUSED_WHILE_CORRUPT.has(op.$case) && ctx.alarms.has(AlarmType.CORRUPT)) throw new EtcdError('Corrupt');
  switch (op?.$case) {
    case 'put':
      if (ctx.alarms.has(AlarmType.NOSPACE)) throw new EtcdError('NoSpace');
      return inWrite(ctx, (txn) => applyPut(txn, op.value, ctx.lessor, ctx.lessor));
    case 'deleteRange':
      return inWrite(ctx, (txn) => applyDeleteRange(txn, op.value, ctx.lessor));
    case 'txn':
      if (txnHasPut(op.value) && ctx.alarms.has(AlarmType.NOSPACE)) throw new EtcdError('NoSpace');
      return inWrite(ctx, (txn) => applyTxn(txn, op.value, ctx.lessor, ctx.lessor));
    case 'compaction':
      return applyCompaction(ctx, op.value);
    case 'alarm':
      return applyAlarm(ctx, op.value);
    case 'leaseGrant':
      // etcd's capped applier: while NOSPACE is raised no lease is granted.
      if (ctx.alarms.has(AlarmType.NOSPACE)) throw new EtcdError('NoSpace');
      return withHeader(ctx, applyLeaseGrant(ctx.lessor, op.value));
    case 'leaseRevoke':
      return inWrite(ctx, (txn) => applyLeaseRevoke(txn, ctx.lessor, op.value));
    case 'leaseCheckpoint':
      return withHeader(ctx, applyLeaseCheckpoint(ctx.lessor, op.value));
    case 'memberAttributes':
      ctx.membership.setAttributes(op.value.memberId, op.value.name, op.value.clientUrls);
      return null;
    case undefined:
      return null;
  }
}

function inWrite<T extends { header: ResponseHeader | undefined }>(ctx: ApplyContext, body: (txn: WriteTxn) => T): T {
  const txn = ctx.store.write();
  let response: T;
  try {
    response = body(txn);
  } finally {
    const result = txn.end();
    if (result.events.length > 0) ctx.onWrite(result);
  }
  response.header = ctx.header(ctx.store.currentRevision);
  return response;
}

function withHeader<T extends { header: ResponseHeader | undefined }>(ctx: ApplyContext, response: T): T {
  response.header = ctx.header(ctx.store.currentRevision);
  return response;
}

function applyCompaction(ctx: ApplyContext, request: CompactionRequest): CompactionOutcome {
  const { physical } = ctx.store.compact(Number(request.revision));
  // Physical compaction failures are logged by the store; the waiter only needs completion.
  physical.catch(() => undefined);
  return { response: { header: ctx.header(ctx.store.currentRevision) }, physical };
}

function applyAlarm(ctx: ApplyContext, request: AlarmRequest): AlarmResponse {
  const header = ctx.header(ctx.store.currentRevision);
  const target: AlarmMember = { memberID: request.memberID, alarm: request.alarm };
  switch (request.action) {
    case AlarmRequest_AlarmAction.GET:
      return { header, alarms: ctx.alarms.list(request.alarm) };
    case AlarmRequest_AlarmAction.ACTIVATE: {
      if (request.alarm === AlarmType.NONE) return { header, alarms: [] };
      const raised = ctx.alarms.activate(target);
      return { header, alarms: raised === null ? [] : [raised] };
    }
    case AlarmRequest_AlarmAction.DEACTIVATE: {
      const cleared = ctx.alarms.deactivate(target);
      return { header, alarms: cleared === null ? [] : [cleared] };
    }
    default:
      return { header, alarms: [] };
  }
}
