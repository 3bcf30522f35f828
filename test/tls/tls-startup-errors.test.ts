// Bad TLS configurations stop etcd-ts at start with the error real etcd gives for the
// same flags (compared against /usr/bin/etcd), and exit code 1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseServerArgs } from '../../src/config/parse-server-args.js';
import { freePorts } from '../support/free-port.js';
import { makeTestCertificates, type TestCertificates } from './support/test-certificates.js';
import { TlsProcess, type TlsTarget } from './support/tls-process.js';

const TEST_TIMEOUT_MS = 180_000;

/** The error text of the line a refused start ends with (etcd: "discovery failed"/"listener failed"; etcd-ts: its refusal). */
function startError(logs: string): string {
  const errors: string[] = [];
  for (const line of logs.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string; error?: unknown };
      if (typeof entry.error === 'string' && (entry.level === 'fatal' || entry.msg === 'failed to verify flags')) errors.push(entry.error);
    } catch {
      // Not a log line of ours.
    }
  }
  return errors[errors.length - 1] ?? `(no start error in)\n${logs}`;
}

interface Ports {
  readonly client: number;
  readonly peer: number;
  readonly metrics: number;
}

describe('TLS start-up errors, etcd-ts against etcd', { timeout: TEST_TIMEOUT_MS }, () => {
  let certs: TestCertificates;
  let root: string;

  before(async () => {
    certs = await makeTestCertificates();
    root = await mkdtemp(join(tmpdir(), 'etcd-ts-tls-errors-'));
  });
  after(async () => {
    await certs?.remove();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  async function refusal(target: TlsTarget, name: string, flags: (ports: Ports) => string[]): Promise<{ code: number | null; error: string }> {
    // Every port a case names is reserved: the two servers of a case start at the same time.
    const [client, peer, metrics] = await freePorts(3);
    const ports = { client: client ?? 0, peer: peer ?? 0, metrics: metrics ?? 0 };
    const server = TlsProcess.spawn([`--data-dir=${join(root, `${target}-${name}`)}`, ...flags(ports)], target);
    const code = await server.exitCode();
    return { code, error: startError(server.logs()) };
  }

  const plainPeer = (ports: { peer: number }): string[] => {
    const url = `http://127.0.0.1:${ports.peer}`;
    return [`--listen-peer-urls=${url}`, `--initial-advertise-peer-urls=${url}`, `--initial-cluster=default=${url}`];
  };
  const httpsPeer = (ports: { peer: number }): string[] => {
    const url = `https://127.0.0.1:${ports.peer}`;
    return [`--listen-peer-urls=${url}`, `--initial-advertise-peer-urls=${url}`, `--initial-cluster=default=${url}`];
  };
  const client = (scheme: string, ports: { client: number }): string[] => {
    const url = `${scheme}://127.0.0.1:${ports.client}`;
    return [`--listen-client-urls=${url}`, `--advertise-client-urls=${url}`];
  };

  const cases: readonly (readonly [string, (ports: Ports) => string[], RegExp])[] = [
    ['https client URL without a certificate', (p) => [...client('https', p), ...plainPeer(p)],
      /^TLS key\/cert \(--cert-file, --key-file\) must be provided for client url https:\/\/127\.0\.0\.1:\d+ with HTTPS scheme$/],
    ['https peer URL without a certificate', (p) => [...client('http', p), ...httpsPeer(p)],
      /^cannot listen on TLS for 127\.0\.0\.1:\d+: KeyFile and CertFile are not presented$/],
    ['an unknown cipher suite', (p) => [...client('http', p), ...plainPeer(p), '--cipher-suites=TLS_RSA_WITH_AES_128_GCM_SHA256,NOT_A_SUITE'],
      /^unexpected TLS cipher suite "NOT_A_SUITE"$/],
    ['both an allowed CN and an allowed host name', (p) => [...client('http', p), ...httpsPeer(p),
      `--peer-cert-file=${certs.server.cert}`, `--peer-key-file=${certs.server.key}`, '--peer-cert-allowed-cn=a', '--peer-cert-allowed-hostname=b'],
      /^AllowedCN and AllowedHostname are mutually exclusive \(cn="a", hostname="b"\)$/],
    ['an https metrics URL without a certificate', (p) => [...client('http', p), ...plainPeer(p), `--listen-metrics-urls=https://127.0.0.1:${p.metrics}`],
      /^cannot listen on TLS for 127\.0\.0\.1:\d+: KeyFile and CertFile are not presented$/],
    ['a certificate file that does not exist', (p) => [...client('https', p), ...plainPeer(p),
      `--cert-file=${join(certs.dir, 'missing.pem')}`, `--key-file=${certs.server.key}`],
      /^open \/.*\/missing\.pem: no such file or directory$/],
  ];

  for (const [what, flags, expected] of cases) {
    test(`${what}: same error as etcd, exit code 1`, async () => {
      const [ours, theirs] = await Promise.all([refusal('etcd-ts', what.replaceAll(' ', '-'), flags), refusal('etcd', what.replaceAll(' ', '-'), flags)]);
      assert.match(theirs.error, expected, 'the reference etcd says this');
      assert.match(ours.error, expected);
      assert.equal(ours.code, 1);
      assert.equal(theirs.code, 1);
    });
  }

  test('--tls-min-version / --tls-max-version (etcd 3.5) are checked', () => {
    const base = ['--data-dir=/tmp/unused'];
    const bad = parseServerArgs([...base, '--tls-min-version=TLS1.1'], {});
    assert.deepEqual(bad, { kind: 'error', exitCode: 1, message: 'unexpected TLS version "TLS1.1" (must be one of: TLS1.2, TLS1.3)' });
    const inverted = parseServerArgs([...base, '--tls-min-version=TLS1.3', '--tls-max-version=TLS1.2'], {});
    assert.deepEqual(inverted, { kind: 'error', exitCode: 1, message: 'min version (TLS1.3) is greater than max version (TLS1.2)' });
    const ok = parseServerArgs([...base, '--tls-min-version=TLS1.3', '--cipher-suites='], {});
    assert.equal(ok.kind, 'run');
    if (ok.kind === 'run') assert.equal(ok.config.tls.minVersion, 'TLS1.3');
  });

  test('Go cipher suite names become OpenSSL names, in the given order', () => {
    const parsed = parseServerArgs(['--cipher-suites=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305'], {});
    assert.equal(parsed.kind, 'run');
    if (parsed.kind === 'run') assert.deepEqual(parsed.config.tls.cipherSuites, ['ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305']);
  });
});
