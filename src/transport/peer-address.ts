// Turns peer URLs (http(s)://host:port, unix(s)://path as etcd accepts) into what
// node:net / node:tls listens on or dials, and a listening address back into a URL.
import type { AddressInfo } from 'node:net';

/** secure: https / unixs, spoken with TLS. */
export type PeerAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly secure: boolean }
  | { readonly kind: 'unix'; readonly path: string; readonly secure: boolean };

/** A URL the transport cannot use: a configuration error reported to the operator. */
export class PeerUrlError extends Error {
  constructor(url: string, reason: string) {
    super(`invalid peer URL ${JSON.stringify(url)}: ${reason}`);
    this.name = 'PeerUrlError';
  }
}

const DEFAULT_PEER_PORT = 2380;

export function parsePeerUrl(input: URL | string): PeerAddress {
  const text = typeof input === 'string' ? input : input.href;
  let url: URL;
  try {
    url = typeof input === 'string' ? new URL(input) : input;
  } catch {
    throw new PeerUrlError(text, 'not a URL');
  }
  if (url.protocol === 'unix:' || url.protocol === 'unixs:') {
    // unix://relative/path keeps the host as the first path segment, as etcd reads it.
    const path = `${url.host}${decodeURIComponent(url.pathname)}`;
    if (path.length === 0) throw new PeerUrlError(text, 'unix socket path is empty');
    return { kind: 'unix', path, secure: url.protocol === 'unixs:' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new PeerUrlError(text, `scheme ${url.protocol} is not supported (use http, https, unix or unixs)`);
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host.length === 0) throw new PeerUrlError(text, 'host is empty');
  const port = url.port === '' ? DEFAULT_PEER_PORT : Number(url.port);
  return { kind: 'tcp', host, port, secure: url.protocol === 'https:' };
}

/** The URL peers should dial to reach a listener, with port 0 resolved. */
export function boundUrl(requested: PeerAddress, actual: AddressInfo | string | null): string {
  if (requested.kind === 'unix') return `${requested.secure ? 'unixs' : 'unix'}://${requested.path}`;
  const port = actual !== null && typeof actual === 'object' ? actual.port : requested.port;
  const host = requested.host.includes(':') ? `[${requested.host}]` : requested.host;
  return `${requested.secure ? 'https' : 'http'}://${host}:${port}`;
}

/** A stable text form for logs and the HTTP/2 authority. */
export function describeAddress(address: PeerAddress): string {
  return boundUrl(address, null);
}
