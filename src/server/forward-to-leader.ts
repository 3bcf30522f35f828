// Requests only the leader can decide (promoting a learner needs the leader's view
// of its progress) are forwarded to the leader's client URL, as etcd forwards them
// over its peer API. The leader's answer, error included, goes back unchanged.
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { GrpcStatusError } from '../api/grpc/map-error.js';
import { ClusterService, type MemberPromoteRequest, type MemberPromoteResponse } from '../generated/etcdserverpb/rpc.js';

/** How long a forwarded request may take. */
export const FORWARD_TIMEOUT_MS = 5000;

function grpcTarget(clientUrl: string): string {
  const url = new URL(clientUrl);
  return url.protocol === 'unix:' ? `unix:${url.host}${url.pathname}` : url.host;
}

export function forwardMemberPromote(leaderClientUrl: string, request: MemberPromoteRequest): Promise<MemberPromoteResponse> {
  const client = new Client(grpcTarget(leaderClientUrl), credentials.createInsecure());
  const method = ClusterService.memberPromote;
  return new Promise<MemberPromoteResponse>((resolve, reject) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      new Metadata(),
      { deadline: Date.now() + FORWARD_TIMEOUT_MS },
      (error: ServiceError | null, response?: MemberPromoteResponse) => {
        client.close();
        if (error !== null) reject(new GrpcStatusError(error.code, error.details));
        else if (response === undefined) reject(new GrpcStatusError(13, 'empty response from the leader'));
        else resolve(response);
      },
    );
  });
}
