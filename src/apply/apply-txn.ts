// Txn semantics: choose the path by the compares, check the whole chosen path,
// then run its ops in order inside one write (one main revision for the txn).
import type {
  RequestOp,
  ResponseHeader,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from '../generated/etcdserverpb/rpc.js';
import { isEtcdError } from '../errors/etcd-error.js';
import type { ReadView, WriteView } from '../mvcc/kv-view.js';
import { assert } from '../util/assert.js';
import { applyDeleteRange } from './apply-delete-range.js';
import { applyPut } from './apply-put.js';
import { applyRange } from './apply-range.js';
import type { LeaseAttachments, LeaseLookup } from './lease-hooks.js';
import { checkPlannedPuts, checkPlannedRanges } from './txn-check.js';
import { planTxn, type TxnPlan } from './txn-plan.js';

interface TxnWriter {
  readonly view: WriteView;
  readonly leases: LeaseLookup;
  readonly attachments: LeaseAttachments | undefined;
}

/** True when both branches hold only ranges: it can be served from a ReadView. */
export function isTxnReadOnly(req: TxnRequest): boolean {
  const isRange = (op: RequestOp): boolean => op.request?.$case === 'requestRange';
  return req.success.every(isRange) && req.failure.every(isRange);
}

/**
 * Applies a txn to `view`, which the caller ends afterwards. Throws EtcdError
 * ('KeyNotFound' | 'LeaseNotFound' | 'FutureRev' | 'Compacted') with nothing written
 * if any op of the chosen path would fail. The top-level header is left for the
 * caller; inner responses carry etcd's revision-only headers.
 */
export function applyTxn(
  view: WriteView,
  req: TxnRequest,
  leases: LeaseLookup,
  attachments?: LeaseAttachments,
): TxnResponse {
  const plan = planTxn(view, req);
  if (!isTxnReadOnly(req)) checkPlannedPuts(view, plan, leases);
  checkPlannedRanges(view, plan);
  const writer: TxnWriter = { view, leases, attachments };
  return withBugOnFailure(() => runPlan(view, writer, plan, undefined));
}

/** Serves a txn that isTxnReadOnly() accepts, without a write. */
export function applyReadOnlyTxn(view: ReadView, req: TxnRequest): TxnResponse {
  assert(isTxnReadOnly(req), 'applyReadOnlyTxn needs a read-only txn');
  const plan = planTxn(view, req);
  checkPlannedRanges(view, plan);
  return withBugOnFailure(() => runPlan(view, undefined, plan, undefined));
}

function runPlan(
  view: ReadView,
  writer: TxnWriter | undefined,
  plan: TxnPlan,
  header: ResponseHeader | undefined,
): TxnResponse {
  const responses = plan.ops.map((op, index) => runOp(view, writer, op, plan.nested[index]));
  return { header, succeeded: plan.succeeded, responses };
}

function runOp(
  view: ReadView,
  writer: TxnWriter | undefined,
  op: RequestOp,
  nested: TxnPlan | undefined,
): ResponseOp {
  const request = op.request;
  if (request === undefined) return { response: undefined };
  switch (request.$case) {
    case 'requestRange': {
      const response = applyRange(view, request.value);
      return { response: { $case: 'responseRange', value: withRevision(response, view) } };
    }
    case 'requestPut': {
      assert(writer !== undefined, 'put in a read-only txn');
      const response = applyPut(writer.view, request.value, writer.leases, writer.attachments);
      return { response: { $case: 'responsePut', value: withRevision(response, view) } };
    }
    case 'requestDeleteRange': {
      assert(writer !== undefined, 'delete in a read-only txn');
      const response = applyDeleteRange(writer.view, request.value, writer.attachments);
      return { response: { $case: 'responseDeleteRange', value: withRevision(response, view) } };
    }
    case 'requestTxn': {
      assert(nested !== undefined, 'nested txn without a plan');
      // etcd gives a nested txn an empty header, not a revision.
      const response = runPlan(view, writer, nested, revisionHeader(0));
      return { response: { $case: 'responseTxn', value: response } };
    }
  }
}

/** Inside a txn, etcd reports each op's revision as the view's revision after it. */
function withRevision<T extends { header: ResponseHeader | undefined }>(
  response: T,
  view: ReadView,
): T {
  return { ...response, header: revisionHeader(view.revision) };
}

function revisionHeader(revision: number): ResponseHeader {
  return { clusterId: 0n, memberId: 0n, revision: BigInt(revision), raftTerm: 0n };
}

/** After the checks pass, an op that still fails is a bug in the checks. */
function withBugOnFailure(run: () => TxnResponse): TxnResponse {
  try {
    return run();
  } catch (error) {
    if (isEtcdError(error)) assert(false, `txn op failed after its checks: ${error.message}`);
    throw error;
  }
}
