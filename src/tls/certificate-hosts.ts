// The host names an automatic (--auto-tls / --peer-auto-tls) certificate names: kept
// apart from the certificate maker so that a server without auto TLS never loads
// @peculiar/x509 (about 0.25 CPU s and several MiB at start).

/** Host names (no ports, no brackets) of the given URLs; IPs and names both become SANs. */
export function certificateHosts(urls: readonly URL[]): string[] {
  const hosts = urls
    .filter((url) => url.protocol === 'https:' || url.protocol === 'http:')
    .map((url) => (url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname));
  return [...new Set(hosts)];
}
