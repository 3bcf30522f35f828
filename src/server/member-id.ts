// Member and cluster ids derived as etcd derives them, so the same flags give the
// same ids: a member id hashes its sorted peer URLs with the cluster token, and
// the cluster id hashes the sorted member ids.
import { createHash } from 'node:crypto';
import type { MemberId } from '../raft/types.js';

function first8BytesBigEndian(digest: Buffer): bigint {
  return digest.readBigUInt64BE(0);
}

export function computeMemberId(peerUrls: readonly string[], clusterToken: string, nowSeconds?: number): MemberId {
  const sorted = [...peerUrls].sort();
  let material = sorted.join('') + clusterToken;
  // etcd mixes the time in for members added at runtime so re-added members get new ids.
  if (nowSeconds !== undefined) material += String(nowSeconds);
  return first8BytesBigEndian(createHash('sha1').update(material, 'utf8').digest());
}

export function computeClusterId(memberIds: readonly MemberId[]): bigint {
  const sorted = [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const bytes = Buffer.alloc(8 * sorted.length);
  sorted.forEach((id, i) => bytes.writeBigUInt64BE(id, i * 8));
  return first8BytesBigEndian(createHash('sha1').update(bytes).digest());
}

/** etcd prints ids as lower-case hex without leading zeros. */
export function formatId(id: bigint): string {
  return id.toString(16);
}
