// --initial-cluster: etcd's default built from --name, and parsing "name=url,..." into
// members with sorted peer URLs (a name listed twice collects both URLs).
import { parseEtcdUrlList } from './etcd-urls.js';
import { DEFAULT_INITIAL_CLUSTER, DEFAULT_NAME, type InitialClusterMember } from './server-config.js';

/**
 * etcd's rule: a renamed member whose --initial-cluster was left at its default gets a
 * one-member cluster of its own name and advertise peer URLs. With the default name the
 * default stays, even when the advertise URLs changed (etcd then refuses to bootstrap).
 */
export function effectiveInitialCluster(name: string, initialCluster: string, advertisePeerUrls: readonly string[]): string {
  if (name === DEFAULT_NAME || initialCluster !== DEFAULT_INITIAL_CLUSTER) return initialCluster;
  return advertisePeerUrls.map((url) => `${name}=${url}`).join(',');
}

/** types.NewURLsMap: members in first-seen order, or the URL error. */
export function parseInitialCluster(text: string): readonly InitialClusterMember[] | { readonly error: string } {
  const urlsByName = new Map<string, string[]>();
  for (const entry of text.split(',')) {
    if (entry === '') continue;
    const equals = entry.indexOf('=');
    const name = equals < 0 ? entry : entry.slice(0, equals);
    const url = equals < 0 ? '' : entry.slice(equals + 1);
    const urls = urlsByName.get(name) ?? [];
    urls.push(url);
    urlsByName.set(name, urls);
  }
  const members: InitialClusterMember[] = [];
  for (const [name, urls] of urlsByName) {
    const parsed = parseEtcdUrlList(urls.join(','));
    if ('error' in parsed) return parsed;
    members.push({ name, peerUrls: parsed.map((url) => url.text) });
  }
  return members;
}
