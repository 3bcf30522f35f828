// The checks etcd makes on the other end's certificate after the handshake: not
// revoked (CRL), the allowed common name or host name, and, on peer listeners, that
// the certificate names the address the connection came from.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';
import { normaliseSerial, type TlsMaterial } from './tls-material.js';

/** etcd's text when the allowed CN or host name does not match. */
export const CERT_AUTH_FAILED = 'client certificate authentication failed';
/** A SAN with more names than this is not looked up one by one. */
const SAN_DNS_NAMES_MAX = 32;

function commonName(cert: PeerCertificate): string {
  const cn = cert.subject?.CN;
  return Array.isArray(cn) ? (cn[0] ?? '') : (cn ?? '');
}

/** The allowed CN / host name rule on a verified certificate; undefined when it passes. */
export function allowedNameError(cert: PeerCertificate, material: TlsMaterial): string | undefined {
  if (material.allowedCn !== '' && commonName(cert) !== material.allowedCn) return CERT_AUTH_FAILED;
  if (material.allowedHostname !== '' && checkServerIdentity(material.allowedHostname, cert) !== undefined) return CERT_AUTH_FAILED;
  return undefined;
}

/** Whether any certificate of the chain is listed in the CRL. */
export function revokedError(chainLeaf: PeerCertificate, material: TlsMaterial): string | undefined {
  const revoked = material.revokedSerials;
  if (revoked === null) return undefined;
  let cert: PeerCertificate | undefined = chainLeaf;
  const seen = new Set<PeerCertificate>();
  // Bounded by the chain: a self-issued certificate points at itself.
  while (cert !== undefined && !seen.has(cert) && cert.serialNumber !== undefined) {
    seen.add(cert);
    const serial = normaliseSerial(cert.serialNumber);
    // Printed as whole bytes, as etcd prints the serial's big-endian bytes.
    if (revoked.has(serial)) return `transport: certificate serial ${serial.length % 2 === 0 ? serial : `0${serial}`} revoked`;
    cert = (cert as { issuerCertificate?: PeerCertificate }).issuerCertificate;
  }
  return undefined;
}

/** etcd's peer-listener SAN rule: a client certificate with SANs must name the address it connects from. */
export async function sanError(cert: PeerCertificate, remoteAddress: string): Promise<string | undefined> {
  const altNames = cert.subjectaltname ?? '';
  if (altNames === '') return undefined;
  const ips = [...altNames.matchAll(/IP Address:([^,\s]+)/g)].map((m) => m[1] ?? '');
  const dnsNames = [...altNames.matchAll(/DNS:([^,\s]+)/g)].map((m) => m[1] ?? '');
  const remote = remoteAddress.startsWith('::ffff:') && isIP(remoteAddress.slice(7)) === 4 ? remoteAddress.slice(7) : remoteAddress;
  if (ips.some((ip) => ip.toLowerCase() === remote.toLowerCase())) return undefined;
  for (const name of dnsNames.slice(0, SAN_DNS_NAMES_MAX)) {
    try {
      const addresses = await lookup(name, { all: true });
      if (addresses.some((address) => address.address === remote)) return undefined;
    } catch {
      // An unresolvable name simply does not match.
    }
  }
  if (dnsNames.length === 0) return `x509: certificate is valid for ${ips.join(', ')}, not ${remote}`;
  return `tls: ${JSON.stringify(remote)} does not match any of DNSNames ${JSON.stringify(dnsNames)}`;
}

/** The checks that need no lookup (CRL, allowed names); undefined when the connection may stay. */
export function certificateError(socket: TLSSocket, material: TlsMaterial): string | undefined {
  const cert = socket.getPeerCertificate(true);
  if (cert === null || Object.keys(cert).length === 0) return undefined;
  const revoked = revokedError(cert, material);
  if (revoked !== undefined) return revoked;
  return socket.authorized ? allowedNameError(cert, material) : undefined;
}

/** Everything a peer listener checks on an accepted connection, the SAN rule included; undefined when it may stay. */
export async function acceptedConnectionError(socket: TLSSocket, material: TlsMaterial, checkSan: boolean): Promise<string | undefined> {
  const error = certificateError(socket, material);
  if (error !== undefined || !checkSan || socket.remoteAddress === undefined) return error;
  const cert = socket.getPeerCertificate();
  if (cert === null || Object.keys(cert).length === 0) return undefined;
  return sanError(cert, socket.remoteAddress);
}
