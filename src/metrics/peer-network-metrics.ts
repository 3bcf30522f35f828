// etcd's etcd_network_* metrics for the peer links, with etcd's names, help texts and
// labels (member ids in hex), read from the transport's own counters when scraped.
import { Counter, Gauge, type Registry } from 'prom-client';

/** One peer's link as the transport counts it. */
export interface PeerTraffic {
  readonly active: boolean;
  readonly sentBytes: number;
  readonly receivedBytes: number;
  readonly sentFailures: number;
}

export interface PeerTrafficSource {
  /** This member's id. */
  memberId(): bigint;
  /** Per peer id; empty for a member without peers. */
  peers(): ReadonlyMap<bigint, PeerTraffic>;
}

const hex = (id: bigint): string => id.toString(16);

/** A counter per peer whose value is read at scrape time. */
function peerCounter(registry: Registry, name: string, help: string, label: 'To' | 'From', read: (t: PeerTraffic) => number, source: PeerTrafficSource): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    collect() {
      this.reset();
      // As etcd's, a peer's series appears with its first byte or failure.
      for (const [id, traffic] of source.peers()) {
        const value = read(traffic);
        if (value > 0) this.inc({ [label]: hex(id) }, value);
      }
    },
  });
}

export function registerPeerNetworkMetrics(registry: Registry, source: PeerTrafficSource): void {
  new Gauge({
    name: 'etcd_network_active_peers',
    help: 'The current number of active peer connections.',
    labelNames: ['Local', 'Remote'],
    registers: [registry],
    collect() {
      this.reset();
      const local = hex(source.memberId());
      for (const [id, traffic] of source.peers()) if (traffic.active) this.set({ Local: local, Remote: hex(id) }, 1);
    },
  });
  peerCounter(registry, 'etcd_network_peer_sent_bytes_total', 'The total number of bytes sent to peers.', 'To', (t) => t.sentBytes, source);
  peerCounter(registry, 'etcd_network_peer_received_bytes_total', 'The total number of bytes received from peers.', 'From', (t) => t.receivedBytes, source);
  peerCounter(registry, 'etcd_network_peer_sent_failures_total', 'The total number of send failures from peers.', 'To', (t) => t.sentFailures, source);
}
