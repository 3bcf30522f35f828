// The checks etcd makes on --initial-cluster when a member without data starts: it must list
// this member, with exactly its advertise peer URLs, and no URL twice. etcd's texts.
import { goQuote, goQuoteList } from './go-values.js';
import { type InitialClusterMember, type ServerConfig } from './server-config.js';

type BootstrapInput = Pick<ServerConfig, 'name' | 'initialCluster' | 'initialAdvertisePeerUrls' | 'initialClusterState'>;

function pairsText(members: readonly InitialClusterMember[]): string {
  const pairs = members.flatMap((member) => member.peerUrls.map((url) => `${member.name}=${url}`));
  return pairs.sort().join(',');
}

function hasDuplicateUrl(members: readonly InitialClusterMember[]): boolean {
  const seen = new Set<string>();
  for (const url of members.flatMap((member) => member.peerUrls)) {
    if (seen.has(url)) return true;
    seen.add(url);
  }
  return false;
}

// etcd also resolves host names before comparing; without DNS here, URLs compare as written.
function urlListsDiffer(advertised: readonly string[], listed: readonly string[]): string | undefined {
  if (advertised.length !== listed.length) return `len(${goQuoteList(advertised)}) != len(${goQuoteList(listed)})`;
  for (let i = 0; i < advertised.length; i++) {
    const a = advertised[i] ?? '';
    const b = listed[i] ?? '';
    if (a !== b) return `resolved urls: ${goQuote(a)} != ${goQuote(b)}`;
  }
  return undefined;
}

function advertiseMismatch(name: string, listed: readonly string[], advertisedUnsorted: readonly string[]): string | undefined {
  const advertised = [...advertisedUnsorted].sort();
  const difference = urlListsDiffer(advertised, [...listed].sort());
  if (difference === undefined) return undefined;
  const onlyListed = [...new Set(listed)].filter((url) => !advertised.includes(url)).sort();
  if (onlyListed.length > 0) {
    const missing = onlyListed.map((url) => `${name}=${url}`).join(',');
    return `--initial-cluster has ${missing} but missing from --initial-advertise-peer-urls=${advertised.join(',')} (${difference})`;
  }
  // etcd prints the advertised URLs where one would expect the --initial-cluster entry.
  const ownPairs = pairsText([{ name, peerUrls: advertised }]);
  const onlyAdvertised = [...new Set(advertised)].filter((url) => !listed.includes(url)).sort();
  if (onlyAdvertised.length > 0) {
    return `--initial-advertise-peer-urls has ${onlyAdvertised.join(',')} but missing from --initial-cluster=${ownPairs}`;
  }
  return `failed to resolve ${advertised.join(',')} to match --initial-cluster=${ownPairs} (${difference})`;
}

/**
 * Run when a member starts with no data. Returns etcd's error text, or undefined when the
 * cluster description is usable. Joining an existing cluster skips the URL comparison.
 */
export function verifyBootstrapCluster(config: BootstrapInput): string | undefined {
  const own = config.initialCluster.find((member) => member.name === config.name);
  if (own === undefined) return `couldn't find local name ${goQuote(config.name)} in the initial cluster configuration`;
  if (config.initialClusterState === 'new') {
    const mismatch = advertiseMismatch(config.name, own.peerUrls, config.initialAdvertisePeerUrls);
    if (mismatch !== undefined) return mismatch;
  }
  if (hasDuplicateUrl(config.initialCluster)) return `initial cluster ${pairsText(config.initialCluster)} has duplicate url`;
  return undefined;
}
