// etcd's common-name rule: with --client-cert-auth and auth enabled, a request that carries
// no token runs as the user its verified client certificate names (CN). The same etcdctl
// session, with certificates and no --user, runs on etcd-ts and on etcd 3.4 and must print
// the same; the CN=root session must be able to write, which it cannot without the rule.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdctl } from '../support/etcdctl.js';
import { freePorts } from '../support/free-port.js';
import { makeTestCertificates, type CertPair, type TestCertificates } from './support/test-certificates.js';
import { TlsProcess, type TlsTarget } from './support/tls-process.js';

const TEST_TIMEOUT_MS = 180_000;
const COMMAND_TIMEOUT_MS = 20_000;

interface Step {
  readonly as: 'root-cert' | 'server-cert' | 'root-user';
  readonly args: readonly string[];
}

/** Set-up as root by certificate, then writes and reads by certificate and by password. */
const SCRIPT: readonly Step[] = [
  { as: 'root-cert', args: ['user', 'add', 'root', '--new-user-password=pw'] },
  { as: 'root-cert', args: ['user', 'grant-role', 'root', 'root'] },
  { as: 'root-cert', args: ['user', 'add', 'etcd-server', '--new-user-password=pw'] },
  { as: 'root-cert', args: ['role', 'add', 'reader'] },
  { as: 'root-cert', args: ['role', 'grant-permission', 'reader', 'read', 'shared'] },
  { as: 'root-cert', args: ['user', 'grant-role', 'etcd-server', 'reader'] },
  { as: 'root-cert', args: ['auth', 'enable'] },
  { as: 'root-cert', args: ['put', 'shared', 'by-cn-root'] },
  { as: 'root-cert', args: ['get', 'shared', '--print-value-only'] },
  { as: 'server-cert', args: ['get', 'shared', '--print-value-only'] },
  { as: 'server-cert', args: ['put', 'shared', 'by-cn-etcd-server'] },
  { as: 'server-cert', args: ['user', 'list'] },
  { as: 'root-user', args: ['get', 'shared', '--print-value-only'] },
  { as: 'root-cert', args: ['auth', 'disable'] },
];

interface Answer {
  readonly code: number | null;
  readonly out: string;
}

async function runScript(target: TlsTarget, certs: TestCertificates): Promise<Answer[]> {
  const dataRoot = await mkdtemp(join(tmpdir(), 'etcd-ts-cn-'));
  const [clientPort, peerPort] = await freePorts(2);
  const endpoint = `127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const server = await TlsProcess.start([
    `--data-dir=${join(dataRoot, 'member')}`,
    `--listen-client-urls=https://${endpoint}`, `--advertise-client-urls=https://${endpoint}`,
    `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=default=${peerUrl}`,
    `--cert-file=${certs.server.cert}`, `--key-file=${certs.server.key}`, `--trusted-ca-file=${certs.ca}`, '--client-cert-auth',
  ], target);
  const withCert = (pair: CertPair): string[] => [`--cacert=${certs.ca}`, `--cert=${pair.cert}`, `--key=${pair.key}`];
  const flagsFor: Record<Step['as'], string[]> = {
    'root-cert': withCert(certs.client),
    'server-cert': withCert(certs.server),
    'root-user': [...withCert(certs.server), '--user=root:pw'],
  };
  try {
    const answers: Answer[] = [];
    for (const step of SCRIPT) {
      const result = await etcdctl(endpoint, [...flagsFor[step.as], ...step.args], { timeoutMs: COMMAND_TIMEOUT_MS });
      answers.push({ code: result.code, out: `${result.stdout}${result.stderr}`.replace(/\{"level".*\n/g, '').trim() });
    }
    return answers;
  } finally {
    await server.stop();
    await rm(dataRoot, { recursive: true, force: true });
  }
}

test('a verified client certificate names the user when no token is sent, as on etcd', { timeout: TEST_TIMEOUT_MS }, async () => {
  const certs = await makeTestCertificates();
  try {
    const ours = await runScript('etcd-ts', certs);
    const put = ours[SCRIPT.findIndex((step) => step.args[0] === 'put' && step.as === 'root-cert')];
    assert.deepEqual(put, { code: 0, out: 'OK' }, 'CN=root may write');
    assert.equal(ours[SCRIPT.findIndex((step) => step.args[0] === 'put' && step.as === 'server-cert')]?.code, 1, 'CN=etcd-server may only read');
    const reference = await runScript('etcd', certs);
    SCRIPT.forEach((step, index) => {
      assert.deepEqual(ours[index], reference[index], `step ${index}: ${step.as} ${step.args.join(' ')}`);
    });
  } finally {
    await certs.remove();
  }
});
