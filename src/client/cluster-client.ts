// The Cluster API: list, add, remove, update and promote members.
import { ClusterService, type Member } from '../generated/etcdserverpb/rpc.js';
import { toBigInt, type Int64 } from './bytes.js';
import type { CallOptions } from './client-options.js';
import type { RpcCaller } from './rpc-caller.js';

export type { Member };

export class ClusterClient {
  constructor(private readonly rpc: RpcCaller) {}

  async memberList(options: { linearizable?: boolean } & CallOptions = {}): Promise<Member[]> {
    const response = await this.rpc.unary(ClusterService.memberList, { linearizable: options.linearizable ?? false }, 'idempotent', options);
    return response.members;
  }

  /** Adds a member (or a learner); returns it with its new id, and the whole list. */
  async memberAdd(peerUrls: string[], options: { isLearner?: boolean } & CallOptions = {}): Promise<{ member: Member | undefined; members: Member[] }> {
    const response = await this.rpc.unary(ClusterService.memberAdd, { peerURLs: peerUrls, isLearner: options.isLearner ?? false }, 'at-most-once', options);
    return { member: response.member, members: response.members };
  }

  async memberRemove(id: Int64, options?: CallOptions): Promise<Member[]> {
    const response = await this.rpc.unary(ClusterService.memberRemove, { ID: toBigInt(id) }, 'at-most-once', options);
    return response.members;
  }

  async memberUpdate(id: Int64, peerUrls: string[], options?: CallOptions): Promise<Member[]> {
    // Setting the same peer URLs twice leaves the same state: safe to retry.
    const response = await this.rpc.unary(ClusterService.memberUpdate, { ID: toBigInt(id), peerURLs: peerUrls }, 'idempotent', options);
    return response.members;
  }

  async memberPromote(id: Int64, options?: CallOptions): Promise<Member[]> {
    const response = await this.rpc.unary(ClusterService.memberPromote, { ID: toBigInt(id) }, 'at-most-once', options);
    return response.members;
  }
}
