// etcd's election recipe, run inside the server: candidates put `<name>/<lease hex>`
// and the oldest key leads. Campaign waits until every older candidate is gone;
// Proclaim and Resign act only while the caller's key still has the create revision
// it was elected with, so a deposed leader cannot speak.
import { TxnRequest, type ResponseHeader } from '../generated/etcdserverpb/rpc.js';
import type { KeyValue } from '../generated/mvccpb/kv.js';
import type { LeaderKey } from '../generated/v3electionpb/v3election.js';
import type { ConcurrencyServer } from '../lock/concurrency-server.js';
import { createRevisionIs, deleteOp, firstCreated, getOp, putOp, sessionKey, singleKey } from '../lock/kv-requests.js';
import { rangeKvs } from '../lock/mutex.js';
import { waitDeletes } from '../lock/wait-deletes.js';
import { assert } from '../util/assert.js';
import { missingLeaderKey, noLeader, notLeader } from './election-error.js';

export function electionPrefix(name: Buffer): Buffer {
  return Buffer.concat([name, Buffer.from('/')]);
}

export async function campaign(
  server: ConcurrencyServer,
  name: Buffer,
  lease: bigint,
  value: Buffer,
  signal: AbortSignal,
): Promise<{ header: ResponseHeader; leader: LeaderKey }> {
  const prefix = electionPrefix(name);
  const key = sessionKey(prefix, lease);
  const response = await server.txn(
    TxnRequest.fromPartial({ compare: [createRevisionIs(key, 0n)], success: [putOp(key, value, lease)], failure: [getOp(singleKey(key))] }),
  );
  assert(response.header !== undefined, 'the server fills every txn header');
  const leader: LeaderKey = { name, key, rev: response.header.revision, lease };
  const existing = response.succeeded ? undefined : rangeKvs(response.responses[0]?.response)[0];
  if (existing !== undefined) {
    // Campaigning again with the same lease keeps the queue position and takes the new value.
    leader.rev = existing.createRevision;
    if (!existing.value.equals(value)) await proclaimOrResign(server, leader, value);
  }
  try {
    await waitDeletes(server, prefix, leader.rev - 1n, signal);
  } catch (error) {
    // A caller that gave up leaves the queue; any other failure leaves the key to its lease.
    if (signal.aborted) await resign(server, leader).catch(() => undefined);
    throw error;
  }
  return { header: response.header, leader };
}

async function proclaimOrResign(server: ConcurrencyServer, leader: LeaderKey, value: Buffer): Promise<void> {
  try {
    await proclaim(server, leader, value);
  } catch (error) {
    await resign(server, leader).catch(() => undefined);
    throw error;
  }
}

export async function proclaim(server: ConcurrencyServer, leader: LeaderKey | undefined, value: Buffer): Promise<ResponseHeader> {
  if (leader === undefined) throw missingLeaderKey();
  const response = await server.txn(
    TxnRequest.fromPartial({ compare: [createRevisionIs(leader.key, leader.rev)], success: [putOp(leader.key, value, leader.lease)] }),
  );
  if (!response.succeeded) throw notLeader();
  assert(response.header !== undefined, 'the server fills every txn header');
  return response.header;
}

/** Gives up leadership (or a place in the queue); a key that is no longer the caller's is left alone, without error. */
export async function resign(server: ConcurrencyServer, leader: LeaderKey | undefined): Promise<ResponseHeader> {
  if (leader === undefined) throw missingLeaderKey();
  const response = await server.txn(
    TxnRequest.fromPartial({ compare: [createRevisionIs(leader.key, leader.rev)], success: [deleteOp(leader.key)] }),
  );
  assert(response.header !== undefined, 'the server fills every txn header');
  return response.header;
}

export async function currentLeader(server: ConcurrencyServer, name: Buffer): Promise<{ header: ResponseHeader; kv: KeyValue }> {
  const response = await server.range(firstCreated(electionPrefix(name)));
  const kv = response.kvs[0];
  if (kv === undefined) throw noLeader();
  assert(response.header !== undefined, 'the server fills every range header');
  return { header: response.header, kv };
}
