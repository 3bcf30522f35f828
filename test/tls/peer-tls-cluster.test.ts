// Three members talking to each other over https peer URLs with client certificates
// and an allowed CN replicate writes; a member joins over TLS (member list and a
// snapshot over TLS); a member whose certificate comes from another CA, carries
// another CN, or names another address, cannot join; the cluster logs why and keeps serving.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { etcdctl } from '../support/etcdctl.js';
import { freePorts } from '../support/free-port.js';
import { RawKv } from '../support/raw-kv.js';
import { makeTestCertificates, type CertPair, type TestCertificates } from './support/test-certificates.js';
import { TlsProcess } from './support/tls-process.js';

const TEST_TIMEOUT_MS = 300_000;
const MEMBERS = 3;
/** The cluster's members all carry this CN (the server certificate); --peer-cert-allowed-cn requires it. */
const ALLOWED_CN = 'etcd-server';
// Small, so that a member joining after WRITES_BEFORE_JOIN writes needs a snapshot.
const SNAPSHOT_COUNT = 100;
const WRITES_BEFORE_JOIN = 6000;
const POLL_ATTEMPTS_MAX = 150;
const POLL_PAUSE_MS = 200;
/** Tries at a peer port no earlier member of this file had. */
const FRESH_PORT_TRIES_MAX = 20;

interface Member {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  process: TlsProcess | null;
}

describe('peer TLS cluster', { timeout: TEST_TIMEOUT_MS }, () => {
  let certs: TestCertificates;
  let root: string;
  const members: Member[] = [];
  const extra: TlsProcess[] = [];

  function flagsFor(member: Member, cert: CertPair, initialCluster: string, state: 'new' | 'existing'): string[] {
    return [
      `--name=${member.name}`, `--data-dir=${join(root, member.name)}`,
      `--listen-client-urls=${member.clientUrl}`, `--advertise-client-urls=${member.clientUrl}`,
      `--listen-peer-urls=${member.peerUrl}`, `--initial-advertise-peer-urls=${member.peerUrl}`,
      `--initial-cluster=${initialCluster}`, `--initial-cluster-state=${state}`, '--initial-cluster-token=peer-tls',
      `--peer-cert-file=${cert.cert}`, `--peer-key-file=${cert.key}`, `--peer-trusted-ca-file=${certs.ca}`,
      '--peer-client-cert-auth', `--peer-cert-allowed-cn=${ALLOWED_CN}`, `--snapshot-count=${SNAPSHOT_COUNT}`,
    ];
  }

  /**
   * Peer ports handed out so far. A member's id hashes its peer URL with the second it
   * was added (as etcd's does), so a member added on the port a removed one had, in the
   * same second, would get the removed member's id and be refused ("member ID already
   * exist"); the kernel does hand a just-freed port back now and then.
   */
  const usedPeerPorts = new Set<number>();

  async function newMember(name: string): Promise<Member> {
    // Bounded: a reused port is rare, so a few tries find a fresh one.
    for (let attempt = 0; attempt < FRESH_PORT_TRIES_MAX; attempt++) {
      const [clientPort, peerPort] = await freePorts(2);
      if (clientPort === undefined || peerPort === undefined || usedPeerPorts.has(peerPort)) continue;
      usedPeerPorts.add(peerPort);
      return { name, clientUrl: `http://127.0.0.1:${clientPort}`, peerUrl: `https://127.0.0.1:${peerPort}`, process: null };
    }
    throw new Error(`no fresh peer port in ${FRESH_PORT_TRIES_MAX} tries`);
  }

  const endpoint = (member: Member | undefined): string => member?.clientUrl ?? 'http://127.0.0.1:1';

  before(async () => {
    certs = await makeTestCertificates();
    root = await mkdtemp(join(tmpdir(), 'etcd-ts-peer-tls-'));
    for (let i = 1; i <= MEMBERS; i++) members.push(await newMember(`m${i}`));
    const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
    await Promise.all(members.map(async (member) => {
      // etcd-ts only: the assertions read etcd-ts's log lines.
      member.process = await TlsProcess.start(flagsFor(member, certs.server, initialCluster, 'new'), 'etcd-ts');
    }));
  });

  after(async () => {
    await Promise.all([...members.map((m) => m.process?.stop()), ...extra.map((p) => p.stop())]);
    await certs?.remove();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  async function valueOn(member: Member | undefined, key: string): Promise<string> {
    for (let attempt = 0; attempt < POLL_ATTEMPTS_MAX; attempt++) {
      const get = await etcdctl(endpoint(member), ['get', key, '--print-value-only', '--consistency=s']);
      const value = get.stdout.trim();
      if (value !== '') return value;
      await sleep(POLL_PAUSE_MS);
    }
    return '';
  }

  test('writes on one member are replicated to the others over TLS', async () => {
    const put = await etcdctl(endpoint(members[0]), ['put', 'peer-tls', 'replicated']);
    assert.equal(put.code, 0, put.stderr);
    assert.equal(await valueOn(members[1], 'peer-tls'), 'replicated');
    assert.equal(await valueOn(members[2], 'peer-tls'), 'replicated');
    const list = await etcdctl(endpoint(members[0]), ['member', 'list']);
    assert.match(list.stdout, /https:\/\/127\.0\.0\.1:\d+/);
  });

  async function memberAdd(member: Member): Promise<{ id: string; initialCluster: string }> {
    const add = await etcdctl(endpoint(members[0]), ['member', 'add', member.name, `--peer-urls=${member.peerUrl}`]);
    assert.equal(add.code, 0, add.stderr);
    const id = /Member\s+([0-9a-f]+)\s+added/.exec(add.stdout)?.[1] ?? '';
    const initialCluster = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(add.stdout)?.[1] ?? '';
    return { id, initialCluster };
  }

  for (const [what, cert, reason] of [
    ['a certificate signed by another CA', (): CertPair => certs.foreign, /rejected connection/],
    ['a certificate with a CN that is not allowed', (): CertPair => certs.peers[1] ?? certs.foreign, /client certificate authentication failed/],
    ['a certificate whose SAN does not name the address it dials from', (): CertPair => certs.wrongSan, /valid for 10\.1\.2\.3, not 127\.0\.0\.1/],
  ] as const) {
    test(`a member with ${what} cannot join; the cluster says why and keeps serving`, async () => {
      const member = await newMember(`bad-${extra.length}`);
      const added = await memberAdd(member);
      const joining = TlsProcess.spawn(flagsFor(member, cert(), added.initialCluster, 'existing'), 'etcd-ts');
      extra.push(joining);
      assert.equal(await joining.exitCode(), 1, 'the joining member gives up: it cannot read the member list');
      assert.match(joining.logs(), /could not retrieve cluster information/);
      const clusterLogs = members.map((m) => m.process?.logs() ?? '').join('\n');
      assert.match(clusterLogs, reason);
      const remove = await etcdctl(endpoint(members[0]), ['member', 'remove', added.id]);
      assert.equal(remove.code, 0, remove.stderr);
      const put = await etcdctl(endpoint(members[0]), ['put', 'still', 'serving']);
      assert.equal(put.code, 0, put.stderr);
    });
  }

  test('a member with a good certificate joins over TLS and catches up by snapshot', async () => {
    const kv = new RawKv(members[0]?.clientUrl.replace('http://', '') ?? '');
    try {
      for (let i = 0; i < WRITES_BEFORE_JOIN; i++) await kv.put({ key: Buffer.from(`bulk/${String(i).padStart(5, '0')}`), value: Buffer.from('x') });
    } finally {
      kv.close();
    }
    const member = await newMember('m4');
    const added = await memberAdd(member);
    member.process = await TlsProcess.start(flagsFor(member, certs.server, added.initialCluster, 'existing'), 'etcd-ts');
    members.push(member);
    assert.equal(await valueOn(member, 'peer-tls'), 'replicated');
    assert.equal(await valueOn(member, `bulk/${String(WRITES_BEFORE_JOIN - 1).padStart(5, '0')}`), 'x');
    const logs = members.map((m) => m.process?.logs() ?? '').join('\n');
    assert.match(logs, /sent database snapshot to remote peer/);
  });
});
