// etcd's client and peer TLS flags: their registry entries, etcd's start-up checks on
// them (in etcd's order and words), and the typed TlsFlags the server starts from.
import type { EtcdUrl } from './etcd-urls.js';
import { boolOf, integerOf, textOf, urlsOf, type FlagValue } from './flag-value.js';
import { goQuote } from './go-values.js';
import { opensslCipherSuites } from '../tls/cipher-suites.js';
import { hasCertificate, type TlsFlags, type TlsVersionName, type TransportSecurityFlags } from '../tls/transport-security.js';

type Get = (name: string) => FlagValue;

const text = { kind: 'string' } as const;
const bool = { kind: 'bool' } as const;
const years = { kind: 'integer', goType: 'uint' } as const;

/** A registry entry as flag-definitions.ts takes it (kept here so the two files do not import each other). */
export interface TlsFlagSpec {
  readonly name: string;
  readonly type: typeof text | typeof bool | typeof years;
  readonly defaultText: string;
  readonly help: string;
  readonly group: 'security';
  readonly configKey?: null;
}

// TLS settings live in nested YAML objects in etcd's config file, not under these names.
function securityFlag(name: string, type: typeof text | typeof bool, help: string, defaultText = type.kind === 'bool' ? 'false' : ''): TlsFlagSpec {
  return { name, type, defaultText, help, group: 'security', configKey: null };
}

export const TLS_FLAG_SPECS: readonly TlsFlagSpec[] = [
  securityFlag('cert-file', text, 'Certificate (PEM) served to clients on https client URLs.'),
  securityFlag('key-file', text, 'Private key (PEM) of --cert-file.'),
  securityFlag('client-cert-auth', bool, 'Require clients to present a certificate signed by --trusted-ca-file.'),
  securityFlag('client-crl-file', text, 'Certificate revocation list (PEM or DER): client certificates listed there are refused.'),
  securityFlag('client-cert-allowed-hostname', text, 'Accept only client certificates valid for this host name.'),
  securityFlag('trusted-ca-file', text, 'CA bundle (PEM) that signs client certificates; giving it also requires them.'),
  securityFlag('auto-tls', bool, 'Serve https client URLs with a self-signed certificate made under the data dir.'),
  securityFlag('peer-cert-file', text, 'Certificate (PEM) for peer traffic, served and presented when dialing.'),
  securityFlag('peer-key-file', text, 'Private key (PEM) of --peer-cert-file.'),
  securityFlag('peer-client-cert-auth', bool, 'Require peers to present a certificate signed by --peer-trusted-ca-file.'),
  securityFlag('peer-trusted-ca-file', text, 'CA bundle (PEM) that signs peer certificates.'),
  securityFlag('peer-cert-allowed-cn', text, 'Accept only peer certificates with this common name.'),
  securityFlag('peer-cert-allowed-hostname', text, 'Accept only peer certificates valid for this host name.'),
  securityFlag('peer-auto-tls', bool, 'Use a self-signed peer certificate made under the data dir when none is given.'),
  securityFlag('peer-crl-file', text, 'Certificate revocation list (PEM or DER): peer certificates listed there are refused.'),
  { name: 'experimental-peer-skip-client-san-verification', type: bool, defaultText: 'false', group: 'security',
    help: 'Do not check that a peer certificate names the address the peer connects from.' },
  securityFlag('cipher-suites', text, "Go names of the TLS cipher suites to allow, comma separated, in order of preference (empty: Node's defaults)."),
  { name: 'self-signed-cert-validity', type: years, defaultText: '1', group: 'security',
    help: 'Years the certificates made by --auto-tls and --peer-auto-tls are valid.' },
  { name: 'tls-min-version', type: text, defaultText: '', group: 'security', help: 'Lowest TLS version accepted: TLS1.2 or TLS1.3.' },
  { name: 'tls-max-version', type: text, defaultText: '', group: 'security', help: 'Highest TLS version accepted: TLS1.2 or TLS1.3 (empty: the highest available).' },
];

function tlsVersion(value: string): TlsVersionName | null | { error: string } {
  if (value === '') return null;
  if (value === 'TLS1.2' || value === 'TLS1.3') return value;
  return { error: `unexpected TLS version ${goQuote(value)} (must be one of: TLS1.2, TLS1.3)` };
}

function cipherNames(get: Get): string[] {
  const raw = textOf(get('cipher-suites'));
  return raw === '' ? [] : raw.split(',');
}

function side(get: Get, prefix: '' | 'peer-'): TransportSecurityFlags {
  const client = prefix === '';
  return {
    certFile: textOf(get(`${prefix}cert-file`)),
    keyFile: textOf(get(`${prefix}key-file`)),
    trustedCaFile: textOf(get(`${prefix}trusted-ca-file`)),
    clientCertAuth: boolOf(get(`${prefix}client-cert-auth`)),
    crlFile: textOf(get(client ? 'client-crl-file' : 'peer-crl-file')),
    autoTls: boolOf(get(`${prefix}auto-tls`)),
    allowedCn: client ? '' : textOf(get('peer-cert-allowed-cn')),
    allowedHostname: textOf(get(client ? 'client-cert-allowed-hostname' : 'peer-cert-allowed-hostname')),
  };
}

function listensSecurely(url: EtcdUrl): boolean {
  return url.scheme === 'https' || url.scheme === 'unixs';
}

function listenerErrors(get: Get, flags: Omit<TlsFlags, 'cipherSuites'>): string | undefined {
  const peer = flags.peer;
  if (peer.allowedCn !== '' && peer.allowedHostname !== '') {
    return `AllowedCN and AllowedHostname are mutually exclusive (cn=${goQuote(peer.allowedCn)}, hostname=${goQuote(peer.allowedHostname)})`;
  }
  for (const url of urlsOf(get('listen-peer-urls'))) {
    if (listensSecurely(url) && !hasCertificate(peer) && !peer.autoTls) {
      return `cannot listen on TLS for ${url.host}: KeyFile and CertFile are not presented`;
    }
  }
  for (const url of urlsOf(get('listen-client-urls'))) {
    if (listensSecurely(url) && !hasCertificate(flags.client) && !flags.client.autoTls) {
      return `TLS key/cert (--cert-file, --key-file) must be provided for client url ${url.text} with HTTPS scheme`;
    }
  }
  for (const url of urlsOf(get('listen-metrics-urls'))) {
    if (listensSecurely(url) && !hasCertificate(flags.client) && !flags.client.autoTls) {
      return `cannot listen on TLS for ${url.host}: KeyFile and CertFile are not presented`;
    }
  }
  return undefined;
}

/** The TLS flags as typed settings, or etcd's start-up error for them. */
export function buildTlsFlags(get: Get): { readonly tls: TlsFlags } | { readonly error: string } {
  const minVersion = tlsVersion(textOf(get('tls-min-version')));
  if (minVersion !== null && typeof minVersion === 'object') return minVersion;
  const maxVersion = tlsVersion(textOf(get('tls-max-version')));
  if (maxVersion !== null && typeof maxVersion === 'object') return maxVersion;
  if (minVersion === 'TLS1.3' && maxVersion === 'TLS1.2') {
    return { error: `min version (${textOf(get('tls-min-version'))}) is greater than max version (${textOf(get('tls-max-version'))})` };
  }
  const goCiphers = cipherNames(get);
  if (minVersion === 'TLS1.3' && goCiphers.length > 0) {
    return { error: `cipher suites [${goCiphers.join(' ')}] cannot be configured when only TLS1.3 or greater is supported` };
  }
  const ciphers = opensslCipherSuites(goCiphers);
  if ('error' in ciphers) return ciphers;
  const validityYears = Number(integerOf(get('self-signed-cert-validity')));
  const client = side(get, '');
  const peer = side(get, 'peer-');
  if (((client.autoTls && !hasCertificate(client)) || (peer.autoTls && !hasCertificate(peer))) && validityYears === 0) return { error: 'selfSignedCertValidity is invalid,it should be greater than 0' };
  const partial = {
    client, peer, minVersion, maxVersion, selfSignedCertValidityYears: validityYears,
    skipPeerSanCheck: boolOf(get('experimental-peer-skip-client-san-verification')),
  };
  const error = listenerErrors(get, partial);
  if (error !== undefined) return { error };
  return { tls: { ...partial, cipherSuites: ciphers.names } };
}

/** The keys of etcd's client-transport-security / peer-transport-security objects, and the flag each sets. */
const SECURITY_KEYS: ReadonlyMap<string, { readonly flag: string; readonly bool: boolean }> = new Map([
  ['cert-file', { flag: 'cert-file', bool: false }],
  ['key-file', { flag: 'key-file', bool: false }],
  ['client-cert-auth', { flag: 'client-cert-auth', bool: true }],
  ['trusted-ca-file', { flag: 'trusted-ca-file', bool: false }],
  ['auto-tls', { flag: 'auto-tls', bool: true }],
]);

function jsonKindOf(raw: unknown): string {
  if (typeof raw === 'string') return 'string';
  if (typeof raw === 'number') return 'number';
  if (typeof raw === 'boolean') return 'bool';
  return Array.isArray(raw) ? 'array' : 'object';
}

/**
 * A config-file key that holds TLS settings in etcd's layout (the two security objects and the
 * cipher-suites list): the flag values it sets, or Go's decoding error; undefined for other keys.
 */
export function decodeTlsConfigKey(key: string, raw: unknown): { readonly values: ReadonlyMap<string, FlagValue> } | { readonly error: string } | undefined {
  const lower = key.toLowerCase();
  if (lower === 'cipher-suites') {
    if (raw === null) return { values: new Map() };
    if (!Array.isArray(raw)) return { error: `json: cannot unmarshal ${jsonKindOf(raw)} into Go struct field configYAML.cipher-suites of type []string` };
    const names: string[] = [];
    for (const item of raw) {
      if (typeof item !== 'string') return { error: `json: cannot unmarshal ${jsonKindOf(item)} into Go struct field configYAML.cipher-suites of type string` };
      names.push(item);
    }
    return { values: new Map([['cipher-suites', { kind: 'text', text: names.join(',') }]]) };
  }
  if (lower !== 'client-transport-security' && lower !== 'peer-transport-security') return undefined;
  if (raw === null) return { values: new Map() };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return { error: `json: cannot unmarshal ${jsonKindOf(raw)} into Go struct field configYAML.${lower} of type embed.securityConfig` };
  }
  const prefix = lower === 'peer-transport-security' ? 'peer-' : '';
  const values = new Map<string, FlagValue>();
  for (const [field, value] of Object.entries(raw as Record<string, unknown>)) {
    const known = SECURITY_KEYS.get(field.toLowerCase());
    if (known === undefined || value === null) continue;
    const fits = known.bool ? typeof value === 'boolean' : typeof value === 'string';
    if (!fits) {
      return { error: `json: cannot unmarshal ${jsonKindOf(value)} into Go struct field securityConfig.${lower}.${field} of type ${known.bool ? 'bool' : 'string'}` };
    }
    values.set(`${prefix}${known.flag}`, typeof value === 'boolean' ? { kind: 'bool', value } : { kind: 'text', text: String(value) });
  }
  return { values };
}
