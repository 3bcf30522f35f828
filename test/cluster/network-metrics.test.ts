// etcd's peer network metrics on /metrics, checked on real etcd and on etcd-ts with the
// same assertions: each member shows its two peers active, bytes exchanged between the
// leader and each follower.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterProcess } from './support/cluster-process.js';
import { RawKv } from '../support/raw-kv.js';
import type { ServerTarget } from '../support/server-process.js';

const SCRAPE_DEADLINE_MS = 10_000;
const SCRAPE_PAUSE_MS = 100;

/** The samples of `name` on one member's /metrics, as label text -> value. */
async function samples(clientUrl: string, name: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${clientUrl}/metrics`)).text();
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`).exec(line);
    if (match !== null) found.set(match[1] ?? '', Number(match[2]));
  }
  return found;
}

async function identity(endpoint: string): Promise<{ id: string; leader: string }> {
  const kv = new RawKv(endpoint);
  try {
    const status = await kv.status();
    return { id: status.header?.memberId.toString(16) ?? '', leader: status.leader.toString(16) };
  } finally {
    kv.close();
  }
}

for (const target of ['etcd', 'etcd-ts'] as const satisfies readonly ServerTarget[]) {
  test(`${target}: every member reports etcd_network_* for both peers`, async () => {
    const cluster = await ClusterProcess.start(3, { target });
    try {
      const ids = (await Promise.all(cluster.members.map((m) => identity(m.endpoint)))).map((s) => s.id);
      const kv = new RawKv(cluster.members[0]?.endpoint ?? '');
      try {
        await kv.put({ key: Buffer.from('network-metrics'), value: Buffer.from('x') });
      } finally {
        kv.close();
      }
      for (const [i, member] of cluster.members.entries()) {
        const self = ids[i] ?? '';
        const peers = ids.filter((id) => id !== self).sort();
        const started = Date.now();
        let active = new Map<string, number>();
        // Bounded: a peer's stream may come up a moment after the member reports ready.
        while (Date.now() - started < SCRAPE_DEADLINE_MS) {
          active = await samples(member.clientUrl, 'etcd_network_active_peers');
          if (active.size === peers.length) break;
          await sleep(SCRAPE_PAUSE_MS);
        }
        assert.deepEqual(
          [...active.entries()].sort(),
          peers.map((peer) => [`Local="${self}",Remote="${peer}"`, 1]),
          `${member.name}: active peers`,
        );
        // Raft traffic runs between the leader and each follower; followers send each other nothing.
        const { leader } = await identity(member.endpoint);
        const talksTo = self === leader ? peers : [leader];
        const sent = await samples(member.clientUrl, 'etcd_network_peer_sent_bytes_total');
        const received = await samples(member.clientUrl, 'etcd_network_peer_received_bytes_total');
        for (const peer of talksTo) {
          assert.ok((sent.get(`To="${peer}"`) ?? 0) > 0, `${member.name}: bytes sent to ${peer}`);
          assert.ok((received.get(`From="${peer}"`) ?? 0) > 0, `${member.name}: bytes received from ${peer}`);
        }
      }
    } finally {
      await cluster.stop();
    }
  });
}
