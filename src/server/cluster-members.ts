// This member's view of the cluster: ids, names and URLs, as MemberList shows them.
import type { Member } from '../generated/etcdserverpb/rpc.js';
import type { MemberId } from '../raft/types.js';
import { computeClusterId, computeMemberId } from './member-id.js';
import type { ServerOptions } from './server-options.js';

export interface ClusterIdentity {
  readonly memberId: MemberId;
  readonly clusterId: bigint;
  readonly members: readonly Member[];
}

export function clusterIdentity(options: ServerOptions): ClusterIdentity {
  const token = options.initialClusterToken;
  const memberId = computeMemberId(options.initialAdvertisePeerUrls, token);
  const members: Member[] = options.initialCluster.map((spec) => {
    const id = computeMemberId(spec.peerUrls, token);
    return {
      ID: id,
      name: spec.name,
      peerURLs: [...spec.peerUrls],
      // Client URLs become known when each member publishes them through the log.
      clientURLs: [],
      isLearner: false,
    };
  });
  const clusterId = computeClusterId(members.map((member) => member.ID));
  return { memberId, clusterId, members };
}
