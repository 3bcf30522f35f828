// etcd's distributed mutex, run inside the server: the caller's key
// `<name>/<lease hex>` joins the queue under `<name>/`; the oldest key holds the
// lock. Acquiring waits for every older key to go; a caller that gives up removes
// its key so it never holds a lock nobody uses.
import { TxnRequest, type ResponseHeader, type ResponseOp } from '../generated/etcdserverpb/rpc.js';
import type { KeyValue } from '../generated/mvccpb/kv.js';
import { assert } from '../util/assert.js';
import type { ConcurrencyServer } from './concurrency-server.js';
import { createRevisionIs, firstCreated, getOp, putOp, sessionKey, singleKey } from './kv-requests.js';
import { waitDeletes } from './wait-deletes.js';

export interface HeldLock {
  readonly header: ResponseHeader;
  readonly key: Buffer;
}

export async function acquireLock(server: ConcurrencyServer, name: Buffer, lease: bigint, signal: AbortSignal): Promise<HeldLock> {
  const prefix = Buffer.concat([name, Buffer.from('/')]);
  const key = sessionKey(prefix, lease);
  const response = await server.txn(
    TxnRequest.fromPartial({
      compare: [createRevisionIs(key, 0n)],
      // Re-locking with the same lease reuses the key it already has.
      success: [putOp(key, Buffer.alloc(0), lease), getOp(firstCreated(prefix))],
      failure: [getOp(singleKey(key)), getOp(firstCreated(prefix))],
    }),
  );
  assert(response.header !== undefined, 'the server fills every txn header');
  const mine = rangeKvs(response.responses[0]?.response)[0];
  const myRevision = response.succeeded || mine === undefined ? response.header.revision : mine.createRevision;
  const owner = rangeKvs(response.responses[1]?.response)[0];
  if (owner === undefined || owner.createRevision === myRevision) return { header: response.header, key };
  try {
    const header = await waitDeletes(server, prefix, myRevision - 1n, signal);
    return { header, key };
  } catch (error) {
    await server.deleteRange({ key, rangeEnd: Buffer.alloc(0), prevKv: false }).catch(() => undefined);
    throw error;
  }
}

export function rangeKvs(response: ResponseOp['response'] | undefined): KeyValue[] {
  return response?.$case === 'responseRange' ? response.value.kvs : [];
}
