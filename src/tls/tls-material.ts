// Reads one side's TLS files (or makes its self-signed pair) at start-up into what
// node:tls needs, so every later connection uses bytes already checked.
import { readFile } from 'node:fs/promises';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import { hasCertificate, nodeTlsVersion, type TlsFlags, type TransportSecurityFlags } from './transport-security.js';

/** A TLS file that cannot be read or parsed: the member does not start. */
export class TlsSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsSetupError';
  }
}

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Trusted CA bundle; null: Node's default roots. */
  readonly ca: Buffer | null;
  /** etcd asks for and verifies client certificates with --*client-cert-auth or a trusted CA file. */
  readonly requireClientCert: boolean;
  /** Normalised serial numbers (lower-case hex, no leading zeros) listed in the CRL file; null: no CRL. */
  readonly revokedSerials: ReadonlySet<string> | null;
  readonly allowedCn: string;
  readonly allowedHostname: string;
  /** Made by --auto-tls: the other end's certificate is not verified when dialing, as etcd. */
  readonly selfSigned: boolean;
  /** OpenSSL cipher list; undefined: Node's defaults. */
  readonly ciphers: string | undefined;
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  readonly maxVersion: 'TLSv1.2' | 'TLSv1.3' | undefined;
  /** For logs: where the certificate and key came from. */
  readonly description: Readonly<Record<string, string | boolean>>;
}

export interface MaterialSource {
  /** Where --auto-tls keeps its pair. */
  readonly autoDir: string;
  /** Host names for an automatic certificate's SANs. */
  readonly hosts: readonly string[];
  readonly forPeers: boolean;
  readonly logger: Logger;
}

/** Lower-case hex without leading zeros, so Node's and the CRL's spellings compare. */
export function normaliseSerial(hex: string): string {
  const trimmed = hex.toLowerCase().replace(/[^0-9a-f]/g, '').replace(/^0+/, '');
  return trimmed === '' ? '0' : trimmed;
}

async function readTlsFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    const reason = code === 'ENOENT' ? 'no such file or directory' : error instanceof Error ? error.message : String(error);
    throw new TlsSetupError(`open ${path}: ${reason}`);
  }
}

async function readRevokedSerials(crlFile: string): Promise<Set<string>> {
  const bytes = await readTlsFile(crlFile);
  try {
    // Loaded only for a CRL: @peculiar/x509 (with reflect-metadata) costs about 8 MB resident.
    await import('reflect-metadata');
    const { X509Crl } = await import('@peculiar/x509');
    const text = bytes.toString('latin1');
    const crl = new X509Crl(text.includes('-----BEGIN') ? text : bytes);
    return new Set(crl.entries.map((entry) => normaliseSerial(entry.serialNumber)));
  } catch (error) {
    throw new TlsSetupError(`cannot parse CRL file ${crlFile}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function checkPair(cert: Buffer, key: Buffer, flags: { certFile: string; keyFile: string }): void {
  try {
    const certificate = new X509Certificate(cert);
    if (!certificate.checkPrivateKey(createPrivateKey(key))) throw new Error('private key does not match public key');
  } catch (error) {
    throw new TlsSetupError(`tls: cannot load key pair (cert ${flags.certFile}, key ${flags.keyFile}): ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** PEM bytes handed over in code (the embedded server), as one side's material. */
export interface PemTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Trusted CA for client certificates; given, client certificates are required (as with --trusted-ca-file). */
  readonly ca?: Buffer;
  readonly clientCertAuth?: boolean;
}

export function materialFromPem(pem: PemTls): TlsMaterial {
  checkPair(pem.cert, pem.key, { certFile: '(cert)', keyFile: '(key)' });
  const requireClientCert = pem.clientCertAuth === true || pem.ca !== undefined;
  return {
    cert: pem.cert, key: pem.key, ca: pem.ca ?? null, requireClientCert, revokedSerials: null, allowedCn: '', allowedHostname: '',
    selfSigned: false, ciphers: undefined, minVersion: 'TLSv1.2', maxVersion: undefined,
    description: { 'cert-file': '(in memory)', 'client-cert-auth': requireClientCert },
  };
}

/** The side's material, or null when TLS is off for it (no cert/key and no auto TLS). */
export async function loadTlsMaterial(flags: TransportSecurityFlags, shared: TlsFlags, source: MaterialSource): Promise<TlsMaterial | null> {
  let files = { certFile: flags.certFile, keyFile: flags.keyFile };
  let selfSigned = false;
  if (!hasCertificate(flags)) {
    if (!flags.autoTls) return null;
    // Auto TLS only: the generator loads @peculiar/x509.
    const { ensureSelfSignedCert } = await import('./self-signed-cert.js');
    files = await ensureSelfSignedCert(source.autoDir, source.hosts, source.forPeers, shared.selfSignedCertValidityYears, source.logger);
    selfSigned = true;
  } else if (flags.autoTls) {
    source.logger.warn(source.forPeers ? 'ignoring peer auto TLS since certs given' : 'ignoring client auto TLS since certs given');
  }
  const cert = await readTlsFile(files.certFile);
  const key = await readTlsFile(files.keyFile);
  checkPair(cert, key, files);
  const ca = flags.trustedCaFile === '' ? null : await readTlsFile(flags.trustedCaFile);
  const revokedSerials = flags.crlFile === '' ? null : await readRevokedSerials(flags.crlFile);
  return {
    cert, key, ca,
    requireClientCert: flags.clientCertAuth || flags.trustedCaFile !== '',
    revokedSerials,
    allowedCn: flags.allowedCn,
    allowedHostname: flags.allowedHostname,
    selfSigned,
    ciphers: shared.cipherSuites.length > 0 ? shared.cipherSuites.join(':') : undefined,
    minVersion: shared.minVersion === null ? 'TLSv1.2' : nodeTlsVersion(shared.minVersion),
    maxVersion: shared.maxVersion === null ? undefined : nodeTlsVersion(shared.maxVersion),
    description: {
      'cert-file': files.certFile, 'key-file': files.keyFile, 'trusted-ca-file': flags.trustedCaFile,
      'client-cert-auth': flags.clientCertAuth, 'crl-file': flags.crlFile, 'auto-tls': selfSigned,
    },
  };
}
