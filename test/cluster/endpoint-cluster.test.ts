// etcdctl's cluster-wide views against a three-member etcd-ts cluster and a three-member
// Debian etcd cluster: `endpoint health --cluster` (text and JSON), `endpoint status`
// over every member and `member list -w json` print the same fields in the same shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterProcess } from './support/cluster-process.js';
import { agreedLeader } from './support/cluster-status.js';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';
import type { ServerTarget } from '../support/server-process.js';

const LEADER_DEADLINE_MS = 15_000;
const HEALTH_LINE = /^http:\/\/127\.0\.0\.1:\d+ is healthy: successfully committed proposal: took = [\d.]+(ns|µs|ms|s)$/;

interface Views {
  readonly clientUrls: string[];
  readonly healthText: string[];
  readonly healthJson: unknown;
  readonly statusJson: unknown;
  readonly memberListJson: unknown;
}

/** The JSON's structure with values replaced by their types; arrays by their first element's shape. */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? [] : [shapeOf(value[0])];
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, shapeOf((value as Record<string, unknown>)[key])]));
  }
  return typeof value;
}

async function views(target: ServerTarget): Promise<Views> {
  const cluster = await ClusterProcess.start(3, { target });
  try {
    await agreedLeader(cluster.endpoints(), LEADER_DEADLINE_MS);
    const one = cluster.endpoints()[0] ?? '';
    const all = cluster.endpoints().join(',');
    const health = await etcdctl(one, ['endpoint', 'health', '--cluster']);
    assert.equal(health.code, 0, health.stderr);
    return {
      clientUrls: cluster.members.map((member) => member.clientUrl).sort(),
      // etcdctl prints health lines on stderr, as etcd's does.
      healthText: health.stderr.trim().split('\n').filter((line) => !line.startsWith('{')),
      healthJson: JSON.parse(await etcdctlOk(one, ['endpoint', 'health', '--cluster', '-w', 'json'])),
      statusJson: JSON.parse(await etcdctlOk(all, ['endpoint', 'status', '-w', 'json'])),
      memberListJson: JSON.parse(await etcdctlOk(one, ['member', 'list', '-w', 'json'])),
    };
  } finally {
    await cluster.stop();
  }
}

test('endpoint health --cluster, endpoint status and member list -w json look the same on etcd-ts and etcd', { timeout: 120_000 }, async () => {
  const ours = await views('etcd-ts');
  const theirs = await views('etcd');
  for (const side of [ours, theirs]) {
    assert.equal(side.healthText.length, 3);
    for (const line of side.healthText) assert.match(line, HEALTH_LINE);
    const healthy = side.healthJson as Array<{ endpoint: string; health: boolean }>;
    assert.deepEqual(healthy.map((entry) => entry.endpoint).sort(), side.clientUrls, 'one health entry per member client URL');
    assert.ok(healthy.every((entry) => entry.health));
    const statuses = side.statusJson as Array<{ Status: { leader: number; header: { member_id: number } } }>;
    assert.equal(statuses.length, 3);
    assert.equal(statuses.filter((entry) => entry.Status.leader === entry.Status.header.member_id).length, 1, 'exactly one member says it leads');
    const members = side.memberListJson as { members: Array<{ clientURLs: string[] }> };
    assert.deepEqual(members.members.flatMap((member) => member.clientURLs).sort(), side.clientUrls);
  }
  assert.deepEqual(shapeOf(ours.healthJson), shapeOf(theirs.healthJson));
  assert.deepEqual(shapeOf(ours.statusJson), shapeOf(theirs.statusJson));
  assert.deepEqual(shapeOf(ours.memberListJson), shapeOf(theirs.memberListJson));
});

// etcdctl 3.4 dials each member for Maintenance calls with the target
// "passthrough:///http://host:port", so its :authority is "http://host:port"; Go's HTTP/2
// server takes that, and so does ours (src/api/h2server); Node's nghttp2 would reset the
// stream (PROTOCOL_ERROR).
test('endpoint status --cluster and endpoint hashkv --cluster reach every member', { timeout: 60_000 }, async () => {
  const cluster = await ClusterProcess.start(3);
  try {
    await agreedLeader(cluster.endpoints(), LEADER_DEADLINE_MS);
    const status = await etcdctl(cluster.endpoints()[0] ?? '', ['endpoint', 'status', '--cluster', '-w', 'json']);
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as unknown[]).length, 3);
    const hashes = JSON.parse(await etcdctlOk(cluster.endpoints()[0] ?? '', ['endpoint', 'hashkv', '--cluster', '-w', 'json'])) as Array<{ Endpoint: string }>;
    assert.deepEqual(hashes.map((entry) => entry.Endpoint).sort(), cluster.members.map((member) => member.clientUrl).sort());
  } finally {
    await cluster.stop();
  }
});
