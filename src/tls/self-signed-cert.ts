// --auto-tls / --peer-auto-tls: a self-signed ECDSA P-256 certificate for the listen
// hosts, made once under <data-dir>/fixtures/{client,peer} and reused on restart, as etcd does.
import 'reflect-metadata';
import {
  BasicConstraintsExtension, ExtendedKeyUsage, ExtendedKeyUsageExtension, KeyUsageFlags, KeyUsagesExtension,
  SubjectAlternativeNameExtension, X509CertificateGenerator,
} from '@peculiar/x509';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { pathExists } from '../util/path-exists.js';

/** --self-signed-cert-validity counts years of this length (as etcd's). */
export const SELF_SIGNED_CERT_YEAR_MS = 365 * 24 * 60 * 60 * 1000;
/** Bytes of the random serial number (etcd draws below 2^128). */
const SERIAL_NUMBER_BYTES = 16;
const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
/** The WebCrypto type @peculiar/x509 declares (Node's is the same API under another name). */
type WebCryptoForX509 = NonNullable<Parameters<typeof X509CertificateGenerator.createSelfSigned>[1]>;

export interface SelfSignedFiles {
  readonly certFile: string;
  readonly keyFile: string;
}


/** Returns the cert/key files in `dir`, creating them when either is missing. */
export async function ensureSelfSignedCert(
  dir: string, hosts: readonly string[], forPeers: boolean, validityYears: number, logger: Logger,
): Promise<SelfSignedFiles> {
  const files = { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem') };
  if ((await pathExists(files.certFile)) && (await pathExists(files.keyFile))) return files;
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const keys = await webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const serial = randomBytes(SERIAL_NUMBER_BYTES);
  serial[0] = (serial[0] ?? 0) & 0x7f; // a positive DER integer
  const nowMs = Date.now();
  const usages = forPeers ? [ExtendedKeyUsage.serverAuth, ExtendedKeyUsage.clientAuth] : [ExtendedKeyUsage.serverAuth];
  const names = hosts.map((host) => ({ type: isIP(host) === 0 ? ('dns' as const) : ('ip' as const), value: host }));
  const cert = await X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: 'O=etcd',
    notBefore: new Date(nowMs),
    notAfter: new Date(nowMs + validityYears * SELF_SIGNED_CERT_YEAR_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new KeyUsagesExtension(KeyUsageFlags.keyEncipherment | KeyUsageFlags.digitalSignature, true),
      new ExtendedKeyUsageExtension(usages),
      new BasicConstraintsExtension(false, undefined, true),
      ...(names.length > 0 ? [new SubjectAlternativeNameExtension(names)] : []),
    ],
  }, webcrypto as unknown as WebCryptoForX509);
  await writeFile(files.certFile, cert.toString('pem') + '\n');
  logger.info('created cert file', { path: files.certFile });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const sec1 = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'sec1', format: 'pem' });
  await writeFile(files.keyFile, sec1, { mode: 0o600 });
  logger.info('created key file', { path: files.keyFile });
  return files;
}
