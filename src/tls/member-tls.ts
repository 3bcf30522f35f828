// Both sides' TLS material for one member, loaded once at start (before any listener),
// with etcd's "starting with ... TLS" log lines.
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import { certificateHosts } from './certificate-hosts.js';
import { loadTlsMaterial, type TlsMaterial } from './tls-material.js';
import type { TlsFlags } from './transport-security.js';

export interface MemberTls {
  /** For https client URLs; null when no certificate is configured. */
  readonly client: TlsMaterial | null;
  /** For https peer URLs and for dialing peers; null when none is configured. */
  readonly peer: TlsMaterial | null;
  /** Peer listeners check that a client certificate names the dialing address (etcd's SAN check). */
  readonly checkPeerSan: boolean;
}

export const NO_MEMBER_TLS: MemberTls = { client: null, peer: null, checkPeerSan: false };

export interface MemberTlsSource {
  readonly flags: TlsFlags;
  /** Where auto TLS keeps its files (<data-dir>/fixtures/...); null for an in-memory member. */
  readonly dataDir: string | null;
  readonly listenClientUrls: readonly URL[];
  readonly listenPeerUrls: readonly URL[];
  readonly logger: Logger;
}

export async function loadMemberTls(source: MemberTlsSource): Promise<MemberTls> {
  const fixtures = join(source.dataDir ?? '.', 'fixtures');
  const peer = await loadTlsMaterial(source.flags.peer, source.flags, {
    autoDir: join(fixtures, 'peer'), hosts: certificateHosts(source.listenPeerUrls), forPeers: true, logger: source.logger,
  });
  if (peer !== null) source.logger.info('starting with peer TLS', { 'tls-info': peer.description, 'cipher-suites': source.flags.cipherSuites });
  const client = await loadTlsMaterial(source.flags.client, source.flags, {
    autoDir: join(fixtures, 'client'), hosts: certificateHosts(source.listenClientUrls), forPeers: false, logger: source.logger,
  });
  if (client !== null) source.logger.info('starting with client TLS', { 'tls-info': client.description, 'cipher-suites': source.flags.cipherSuites });
  return { client, peer, checkPeerSan: !source.flags.skipPeerSanCheck };
}
