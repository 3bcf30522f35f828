// What the TLS flags of one side (client or peer) say, before any file is read:
// etcd's TLSInfo in this project's words, plus the shared cipher and version flags.

/** The TLS versions etcd's --tls-min-version / --tls-max-version name. */
export type TlsVersionName = 'TLS1.2' | 'TLS1.3';

export interface TransportSecurityFlags {
  readonly certFile: string;
  readonly keyFile: string;
  readonly trustedCaFile: string;
  readonly clientCertAuth: boolean;
  readonly crlFile: string;
  /** Generate a self-signed certificate under the data dir when no cert/key is given. */
  readonly autoTls: boolean;
  /** Only certificates with this common name are accepted ('' = any). */
  readonly allowedCn: string;
  /** Only certificates valid for this host name are accepted ('' = any). */
  readonly allowedHostname: string;
}

export interface TlsFlags {
  readonly client: TransportSecurityFlags;
  readonly peer: TransportSecurityFlags;
  /** --cipher-suites as OpenSSL names, in the given order (empty: Node's defaults). */
  readonly cipherSuites: readonly string[];
  readonly minVersion: TlsVersionName | null;
  readonly maxVersion: TlsVersionName | null;
  /** --experimental-peer-skip-client-san-verification. */
  readonly skipPeerSanCheck: boolean;
  /** --self-signed-cert-validity: years an automatic certificate is valid. */
  readonly selfSignedCertValidityYears: number;
}

export const NO_TRANSPORT_SECURITY: TransportSecurityFlags = {
  certFile: '', keyFile: '', trustedCaFile: '', clientCertAuth: false, crlFile: '', autoTls: false, allowedCn: '', allowedHostname: '',
};

export const NO_TLS_FLAGS: TlsFlags = {
  client: NO_TRANSPORT_SECURITY, peer: NO_TRANSPORT_SECURITY, cipherSuites: [], minVersion: null, maxVersion: null, skipPeerSanCheck: false, selfSignedCertValidityYears: 1,
};

/** etcd's TLSInfo.Empty(): TLS is on for a side only with both a cert and a key (or auto TLS). */
export function hasCertificate(flags: TransportSecurityFlags): boolean {
  return flags.certFile !== '' && flags.keyFile !== '';
}

/** Node's name for a TLS version. */
export function nodeTlsVersion(version: TlsVersionName): 'TLSv1.2' | 'TLSv1.3' {
  return version === 'TLS1.2' ? 'TLSv1.2' : 'TLSv1.3';
}
