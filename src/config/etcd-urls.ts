// Parses etcd's comma-separated URL lists the way etcd does (Go's url.Parse, then scheme,
// host:port and no-path rules), so the same inputs are accepted and the same messages come out.
import { isIP } from 'node:net';
import { goQuote } from './go-values.js';

const ETCD_URL_SCHEMES: ReadonlySet<string> = new Set(['http', 'https', 'unix', 'unixs']);

/** One URL as etcd keeps it: scheme plus host:port, and Go's printed form. */
export interface EtcdUrl {
  readonly scheme: string;
  /** host:port as written, IPv6 hosts still in brackets. */
  readonly host: string;
  /** The host without brackets or port. */
  readonly hostname: string;
  readonly port: string;
  /** What Go's url.URL.String() prints for it. */
  readonly text: string;
}

type SplitHostPort = { readonly hostname: string; readonly port: string } | undefined;

/** net.SplitHostPort: only whether it succeeds matters to etcd's messages. */
export function splitHostPort(hostport: string): SplitHostPort {
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0 || hostport[end + 1] !== ':') return undefined;
    const hostname = hostport.slice(1, end);
    const port = hostport.slice(end + 2);
    if (hostname.includes('[') || port.includes(']') || port.includes('[')) return undefined;
    return { hostname, port };
  }
  const colon = hostport.lastIndexOf(':');
  if (colon < 0) return undefined;
  const hostname = hostport.slice(0, colon);
  const port = hostport.slice(colon + 1);
  if (hostname.includes(':') || /[[\]]/.test(hostname) || /[[\]]/.test(port)) return undefined;
  return { hostname, port };
}

interface GoUrlParts {
  readonly scheme: string;
  readonly authority: string | undefined;
  readonly path: string;
  readonly query: string | undefined;
  readonly fragment: string | undefined;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

// Go's getScheme: a scheme is letters then letters/digits/+-. before the first ':'.
function takeScheme(text: string): { scheme: string; rest: string } | { error: string } {
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (/[a-zA-Z]/.test(c)) continue;
    if (/[0-9+.-]/.test(c)) {
      if (i === 0) return { scheme: '', rest: text };
      continue;
    }
    if (c === ':') {
      if (i === 0) return { error: 'missing protocol scheme' };
      return { scheme: text.slice(0, i).toLowerCase(), rest: text.slice(i + 1) };
    }
    return { scheme: '', rest: text };
  }
  return { scheme: '', rest: text };
}

// The host checks of Go's url.Parse that etcd users can trip over.
function checkAuthorityHost(host: string): string | undefined {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0) return "missing ']' in host";
    const port = host.slice(end + 1);
    if (port !== '' && !/^:[0-9]*$/.test(port)) return `invalid port ${goQuote(port)} after host`;
    return undefined;
  }
  const colon = host.lastIndexOf(':');
  if (colon >= 0) {
    const port = host.slice(colon);
    if (!/^:[0-9]*$/.test(port)) return `invalid port ${goQuote(port)} after host`;
  }
  const bad = /[^a-zA-Z0-9\-._~!$&'()*+,;=:%]/.exec(host);
  if (bad !== null) return `invalid character ${goQuote(bad[0])} in host name`;
  return undefined;
}

function parseGoUrl(text: string): GoUrlParts | { error: string } {
  const fail = (reason: string): { error: string } => ({ error: `parse ${goQuote(text)}: ${reason}` });
  if (/[\u0000-\u001f\u007f]/.test(text)) return fail('net/url: invalid control character in URL');
  const [beforeFragment, fragment] = splitOnce(text, '#');
  const scheme = takeScheme(beforeFragment);
  if ('error' in scheme) return fail(scheme.error);
  const [rest, query] = splitOnce(scheme.rest, '?');
  if (!rest.startsWith('//')) {
    return { scheme: scheme.scheme, authority: undefined, path: rest, query, fragment };
  }
  const afterSlashes = rest.slice(2);
  const slash = afterSlashes.indexOf('/');
  const authority = slash < 0 ? afterSlashes : afterSlashes.slice(0, slash);
  const path = slash < 0 ? '' : afterSlashes.slice(slash);
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  const hostError = checkAuthorityHost(host);
  if (hostError !== undefined) return fail(hostError);
  return { scheme: scheme.scheme, authority, path, query, fragment };
}

/** types.NewURLs for one element: the URL, or etcd's error text for it. */
export function parseEtcdUrl(raw: string): EtcdUrl | { readonly error: string } {
  const text = raw.trim();
  const parts = parseGoUrl(text);
  if ('error' in parts) return parts;
  if (!ETCD_URL_SCHEMES.has(parts.scheme)) {
    return { error: `URL scheme must be http, https, unix, or unixs: ${text}` };
  }
  const authority = parts.authority ?? '';
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  const split = splitHostPort(host);
  if (split === undefined) return { error: `URL address does not have the form "host:port": ${text}` };
  if (parts.path !== '') return { error: `URL must not contain a path: ${text}` };
  const printed =
    `${parts.scheme}://${authority}` +
    (parts.query !== undefined ? `?${parts.query}` : '') +
    (parts.fragment !== undefined ? `#${parts.fragment}` : '');
  return { scheme: parts.scheme, host, hostname: split.hostname, port: split.port, text: printed };
}

/** types.NewURLs: every element valid, then sorted by printed form as etcd sorts them. */
export function parseEtcdUrlList(commaSeparated: string): readonly EtcdUrl[] | { readonly error: string } {
  const urls: EtcdUrl[] = [];
  for (const element of commaSeparated.split(',')) {
    const parsed = parseEtcdUrl(element);
    if ('error' in parsed) return parsed;
    urls.push(parsed);
  }
  return urls.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
}

/** etcd's bind check: a listen URL names an IP address or localhost (unix sockets excepted). */
export function bindUrlError(url: EtcdUrl): string | undefined {
  if (url.scheme === 'unix' || url.scheme === 'unixs') return undefined;
  if (url.hostname === 'localhost') return undefined;
  if (isIP(url.hostname) === 0) return `expected IP in URL for binding (${url.text})`;
  return undefined;
}

/** etcd's advertise check: an advertised URL has a non-empty host. */
export function advertiseUrlError(url: EtcdUrl): string | undefined {
  if (url.hostname === '') return `unexpected empty host (${url.text})`;
  return undefined;
}

/** A WHATWG URL for listeners; etcd's rules already passed, so this only fails on exotic hosts. */
export function toWhatwgUrl(url: EtcdUrl): URL | { readonly error: string } {
  try {
    return new URL(url.text);
  } catch {
    return { error: `parse ${goQuote(url.text)}: invalid URL` };
  }
}
