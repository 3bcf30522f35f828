// --auto-tls: the member makes a self-signed ECDSA certificate under
// <data-dir>/fixtures/client, serves https with it (clients skip verification, as
// with etcd), and reuses the same certificate after a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseServerArgs } from '../../src/config/parse-server-args.js';
import { SILENT_LOGGER } from '../../src/log/logger.js';
import { ensureSelfSignedCert } from '../../src/tls/self-signed-cert.js';
import { etcdctl } from '../support/etcdctl.js';
import { freePorts } from '../support/free-port.js';
import { TlsProcess } from './support/tls-process.js';

const TEST_TIMEOUT_MS = 90_000;

let root: string;
let flags: string[];
let endpoint: string;
let server: TlsProcess | undefined;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'etcd-ts-auto-tls-'));
  const [clientPort, peerPort] = await freePorts(2);
  endpoint = `https://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  flags = [
    `--data-dir=${join(root, 'member')}`, `--listen-client-urls=${endpoint}`, `--advertise-client-urls=${endpoint}`,
    `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=default=${peerUrl}`, '--auto-tls',
  ];
});

after(async () => {
  await server?.stop();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

test('auto TLS serves https with a self-signed certificate that survives a restart', { timeout: TEST_TIMEOUT_MS }, async () => {
  server = await TlsProcess.start(flags);
  const certFile = join(root, 'member', 'fixtures', 'client', 'cert.pem');
  const first = new X509Certificate(await readFile(certFile));
  assert.equal(first.issuer, first.subject, 'self-signed');
  assert.match(first.subject, /O=etcd/);
  assert.match(first.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  assert.equal(first.publicKey.asymmetricKeyType, 'ec');
  assert.match(await readFile(join(root, 'member', 'fixtures', 'client', 'key.pem'), 'utf8'), /BEGIN EC PRIVATE KEY/);

  const put = await etcdctl(endpoint, ['--insecure-skip-tls-verify', '--insecure-transport=false', 'put', 'auto', 'tls']);
  assert.equal(put.code, 0, put.stderr);
  const verified = await etcdctl(endpoint, ['--insecure-transport=false', '--dial-timeout=2s', '--command-timeout=3s', 'get', 'auto']);
  assert.notEqual(verified.code, 0, 'a client that verifies the self-signed certificate must not get through');

  await server.stop();
  server = await TlsProcess.start(flags);
  const again = new X509Certificate(await readFile(certFile));
  assert.equal(again.fingerprint256, first.fingerprint256, 'the certificate is reused, not remade');
  const get = await etcdctl(endpoint, ['--insecure-skip-tls-verify', '--insecure-transport=false', 'get', 'auto', '--print-value-only']);
  assert.equal(get.stdout.trim(), 'tls');
});

test('--self-signed-cert-validity sets how many years the automatic certificate is valid; 0 is refused', async () => {
  const refused = parseServerArgs(['--auto-tls', '--self-signed-cert-validity=0'], {});
  assert.deepEqual(refused, { kind: 'error', exitCode: 1, message: 'selfSignedCertValidity is invalid,it should be greater than 0' });
  const accepted = parseServerArgs(['--auto-tls', '--self-signed-cert-validity=3'], {});
  assert.equal(accepted.kind === 'run' ? accepted.config.tls.selfSignedCertValidityYears : -1, 3);
  const files = await ensureSelfSignedCert(join(root, 'three-years'), ['127.0.0.1'], true, 3, SILENT_LOGGER);
  const cert = new X509Certificate(await readFile(files.certFile));
  const validMs = Date.parse(cert.validTo) - Date.parse(cert.validFrom);
  assert.ok(Math.abs(validMs - 3 * 365 * 24 * 3600 * 1000) < 24 * 3600 * 1000, `valid for ${validMs} ms`);
  assert.match(cert.toLegacyObject().ext_key_usage?.join(',') ?? '', /1\.3\.6\.1\.5\.5\.7\.3\.2/, 'peer certificates also authenticate clients');
});
