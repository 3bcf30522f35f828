// node:tls options for both ends of a connection, built from one side's material.
import { checkServerIdentity, type ConnectionOptions, type PeerCertificate, type TlsOptions } from 'node:tls';
import { isIP } from 'node:net';
import { allowedNameError } from './certificate-checks.js';
import type { TlsMaterial } from './tls-material.js';

/** A listener's options. ALPN is left to the caller (the client port chooses per connection). */
export function serverTlsOptions(material: TlsMaterial): TlsOptions {
  return {
    cert: material.cert,
    key: material.key,
    ...(material.ca === null ? {} : { ca: material.ca }),
    requestCert: material.requireClientCert,
    rejectUnauthorized: material.requireClientCert,
    ...(material.ciphers === undefined ? {} : { ciphers: material.ciphers, honorCipherOrder: true }),
    minVersion: material.minVersion,
    ...(material.maxVersion === undefined ? {} : { maxVersion: material.maxVersion }),
  };
}

/**
 * Options for dialing host with this side's certificate as the client certificate.
 * As etcd: a self-signed (auto TLS) side does not verify the other end; otherwise the
 * chain, the host name, and the allowed CN / host name are checked.
 */
export function clientTlsOptions(material: TlsMaterial | null, host: string, alpn: readonly string[]): ConnectionOptions {
  const verify = material === null || !material.selfSigned;
  return {
    host,
    ...(isIP(host) === 0 ? { servername: host } : {}),
    ALPNProtocols: [...alpn],
    ...(material === null ? {} : { cert: material.cert, key: material.key }),
    ...(material?.ca === null || material === null ? {} : { ca: material.ca }),
    rejectUnauthorized: verify,
    ...(material?.ciphers === undefined ? {} : { ciphers: material.ciphers }),
    minVersion: material?.minVersion ?? 'TLSv1.2',
    ...(material?.maxVersion === undefined ? {} : { maxVersion: material.maxVersion }),
    checkServerIdentity: (hostname: string, cert: PeerCertificate): Error | undefined => {
      const identity = checkServerIdentity(hostname, cert);
      if (identity !== undefined || material === null) return identity;
      const named = allowedNameError(cert, material);
      return named === undefined ? undefined : new Error(named);
    },
  };
}
