// Certificates for the TLS tests, made with the openssl CLI inside the test run: a CA,
// server/peer certificates for 127.0.0.1, client certificates, a second unrelated CA
// with its own certificate, and a CRL that revokes one client certificate.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../support/run-command.js';

const OPENSSL = '/usr/bin/openssl';
const VALIDITY_DAYS = '2';
const OPENSSL_TIMEOUT_MS = 20_000;

export interface CertPair {
  readonly cert: string;
  readonly key: string;
}

export interface TestCertificates {
  readonly dir: string;
  readonly ca: string;
  /** Valid for 127.0.0.1 and localhost, for serving and for dialing (server and client auth). */
  readonly server: CertPair;
  /** CN=etcd-peer-{1,2,3}, same SANs as server: for peers. */
  readonly peers: readonly CertPair[];
  /** CN=root, client auth only. */
  readonly client: CertPair;
  /** CN=revoked-user, listed in crl. */
  readonly revoked: CertPair;
  readonly crl: string;
  /** Another CA, and a server/client certificate it signed (same SANs). */
  readonly otherCa: string;
  readonly foreign: CertPair;
  /** Signed by the CA with the servers' CN, but its SAN names only 10.1.2.3 (not the loopback address it dials from). */
  readonly wrongSan: CertPair;
  remove(): Promise<void>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const result = await runCommand(OPENSSL, args, { timeoutMs: OPENSSL_TIMEOUT_MS, env: { OPENSSL_CONF: join(cwd, 'ca.cnf') } });
  if (result.code !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${result.stderr}`);
}

// openssl ca keeps a small database; this configuration is what it needs for `ca -gencrl` and `ca -revoke`.
function caConfig(dir: string, name: string): string {
  return [
    '[ ca ]', `default_ca = ${name}`,
    `[ ${name} ]`, `dir = ${dir}`, `database = ${join(dir, `${name}-index.txt`)}`, `new_certs_dir = ${dir}`,
    `certificate = ${join(dir, `${name}.pem`)}`, `private_key = ${join(dir, `${name}-key.pem`)}`,
    'default_md = sha256', 'default_crl_days = 2', 'policy = policy_any', 'crlnumber = ' + join(dir, `${name}-crlnumber`),
    '[ policy_any ]', 'commonName = supplied',
    '[ req ]', 'distinguished_name = dn', '[ dn ]',
    '[ server_ext ]', 'subjectAltName = IP:127.0.0.1,DNS:localhost', 'extendedKeyUsage = serverAuth,clientAuth',
    'keyUsage = digitalSignature,keyEncipherment', 'basicConstraints = CA:FALSE',
    '[ wrong_san_ext ]', 'subjectAltName = IP:10.1.2.3', 'extendedKeyUsage = serverAuth,clientAuth',
    'keyUsage = digitalSignature,keyEncipherment', 'basicConstraints = CA:FALSE',
    '[ client_ext ]', 'extendedKeyUsage = clientAuth', 'keyUsage = digitalSignature,keyEncipherment', 'basicConstraints = CA:FALSE',
    '[ ca_ext ]', 'basicConstraints = critical,CA:TRUE', 'keyUsage = critical,keyCertSign,cRLSign',
    'subjectKeyIdentifier = hash',
    '',
  ].join('\n');
}

async function makeCa(dir: string, name: string): Promise<string> {
  const cert = join(dir, `${name}.pem`);
  await writeFile(join(dir, `${name}-index.txt`), '');
  await writeFile(join(dir, `${name}-crlnumber`), '01\n');
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${name}-key.pem`),
    '-out', cert, '-days', VALIDITY_DAYS, '-subj', `/CN=${name}`, '-extensions', 'ca_ext', '-config', join(dir, 'ca.cnf')], dir);
  return cert;
}

async function makeCert(dir: string, ca: string, file: string, cn: string, extension: 'server_ext' | 'client_ext' | 'wrong_san_ext'): Promise<CertPair> {
  const pair = { cert: join(dir, `${file}.pem`), key: join(dir, `${file}-key.pem`) };
  const csr = join(dir, `${file}.csr`);
  await openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', pair.key, '-out', csr,
    '-subj', `/CN=${cn}`, '-config', join(dir, 'ca.cnf')], dir);
  await openssl(['x509', '-req', '-in', csr, '-CA', join(dir, `${ca}.pem`), '-CAkey', join(dir, `${ca}-key.pem`), '-CAcreateserial',
    '-out', pair.cert, '-days', VALIDITY_DAYS, '-extfile', join(dir, 'ca.cnf'), '-extensions', extension], dir);
  return pair;
}

/** Makes every certificate in a fresh temp dir (a few seconds of openssl). */
export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'etcd-ts-tls-'));
  const config = [caConfig(dir, 'ca'), caConfig(dir, 'other-ca').split('[ req ]')[0] ?? ''].join('\n');
  await writeFile(join(dir, 'ca.cnf'), config);
  const ca = await makeCa(dir, 'ca');
  const otherCa = await makeCa(dir, 'other-ca');
  const server = await makeCert(dir, 'ca', 'server', 'etcd-server', 'server_ext');
  const peers: CertPair[] = [];
  for (const index of [1, 2, 3]) peers.push(await makeCert(dir, 'ca', `peer-${index}`, `etcd-peer-${index}`, 'server_ext'));
  const client = await makeCert(dir, 'ca', 'client', 'root', 'client_ext');
  const revoked = await makeCert(dir, 'ca', 'revoked', 'revoked-user', 'client_ext');
  const foreign = await makeCert(dir, 'other-ca', 'foreign', 'etcd-peer-1', 'server_ext');
  const wrongSan = await makeCert(dir, 'ca', 'wrong-san', 'etcd-server', 'wrong_san_ext');
  await openssl(['ca', '-config', join(dir, 'ca.cnf'), '-name', 'ca', '-revoke', revoked.cert], dir);
  const crl = join(dir, 'ca.crl');
  await openssl(['ca', '-config', join(dir, 'ca.cnf'), '-name', 'ca', '-gencrl', '-out', crl], dir);
  return { dir, ca, server, peers, client, revoked, crl, otherCa, foreign, wrongSan, remove: () => rm(dir, { recursive: true, force: true }) };
}
