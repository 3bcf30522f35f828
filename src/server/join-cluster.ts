// A member started with --initial-cluster-state existing asks the running members
// for the cluster's member list over their peer URLs (GET /members, as etcd does),
// and finds its own id there by its peer URLs: MemberAdd chose that id.
import type { Member } from '../generated/etcdserverpb/rpc.js';
import type { TlsMaterial } from '../tls/tls-material.js';
import { dialPeerUrl } from '../transport/peer-session.js';
import { decodeMember, MAX_MEMBERS } from './membership.js';

/** Per peer URL: how long to wait for an answer. */
export const JOIN_REQUEST_TIMEOUT_MS = 3000;
/** A member list larger than this is not a member list. */
const MEMBERS_RESPONSE_BYTES_MAX = 4 * 1024 * 1024;

export interface RemoteCluster {
  readonly clusterId: bigint;
  readonly members: Member[];
}

function parseMembers(text: string): Member[] {
  // Member objects hold no nested objects, so each {...} is one member; ids stay exact.
  const objects = text.match(/\{[^{}]*\}/g) ?? [];
  return objects.slice(0, MAX_MEMBERS).map((object) => decodeMember(Buffer.from(object)));
}

function askOne(url: string, tls: TlsMaterial | null): Promise<RemoteCluster> {
  return new Promise<RemoteCluster>((resolve, reject) => {
    const session = dialPeerUrl(url, tls);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`no answer from ${url} within ${JOIN_REQUEST_TIMEOUT_MS} ms`));
    }, JOIN_REQUEST_TIMEOUT_MS);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      session.destroy();
      reject(error);
    };
    session.on('error', fail);
    const request = session.request({ ':method': 'GET', ':path': '/members' });
    let clusterHeader = '';
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('response', (headers) => {
      clusterHeader = String(headers['x-etcd-cluster-id'] ?? '');
    });
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MEMBERS_RESPONSE_BYTES_MAX) fail(new Error(`member list from ${url} is too large`));
      else chunks.push(chunk);
    });
    request.on('error', fail);
    request.on('end', () => {
      clearTimeout(timer);
      session.close();
      if (!/^[0-9a-f]+$/.test(clusterHeader)) {
        reject(new Error(`${url} did not say which cluster it belongs to`));
        return;
      }
      resolve({ clusterId: BigInt(`0x${clusterHeader}`), members: parseMembers(Buffer.concat(chunks).toString('utf8')) });
    });
  });
}

/** Asks each URL in turn; the first answer wins. tls: this member's peer certificate, for https URLs. */
export async function fetchRemoteCluster(peerUrls: readonly string[], tls: TlsMaterial | null = null): Promise<RemoteCluster> {
  const failures: string[] = [];
  for (const url of peerUrls) {
    try {
      return await askOne(url, tls);
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  throw new Error(`could not retrieve cluster information from the given URLs (${failures.join('; ')})`);
}
