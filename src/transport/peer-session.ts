// Dialing peers with Nagle off (over TLS for https peers), and the HTTP/2 session
// plumbing of snapshot uploads and the listener: flow-control windows sized for raft
// traffic, and ping-based detection of dead connections.
import { connect as connectHttp2, type ClientHttp2Session, type Http2Session, type Settings } from 'node:http2';
import { connect as connectNet, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { clientTlsOptions } from '../tls/secure-options.js';
import type { TlsMaterial } from '../tls/tls-material.js';
import { parsePeerUrl, type PeerAddress } from './peer-address.js';
import {
  DIAL_TIMEOUT_MS, INBOUND_STREAMS_PER_SESSION_MAX, PING_INTERVAL_MS, PING_TIMEOUT_MS, SESSION_WINDOW_BYTES, STREAM_WINDOW_BYTES,
} from './transport-limits.js';

export const PEER_HTTP2_SETTINGS: Settings = {
  initialWindowSize: STREAM_WINDOW_BYTES,
  maxConcurrentStreams: INBOUND_STREAMS_PER_SESSION_MAX,
  enablePush: false,
};

/**
 * Dials a peer address, over TLS offering `alpn` for secure ones. Heartbeats are a
 * few dozen bytes: Nagle's delay would add to every round trip.
 */
export function openSocket(address: PeerAddress, tls: TlsMaterial | null, alpn: string): Socket {
  if (address.secure) {
    // A unix socket has no host name to check: the certificate is checked against localhost.
    const host = address.kind === 'unix' ? 'localhost' : address.host;
    const where = address.kind === 'unix' ? { path: address.path } : { port: address.port };
    const socket = connectTls({ ...clientTlsOptions(tls, host, [alpn]), ...where });
    socket.setNoDelay(true);
    return socket;
  }
  const socket = address.kind === 'unix'
    ? connectNet({ path: address.path })
    : connectNet({ host: address.host, port: address.port, noDelay: true });
  return socket;
}

/** Starts connecting; failures arrive as the session's 'error' and 'close' events. tls: this member's peer certificate. */
export function dialSession(address: PeerAddress, tls: TlsMaterial | null): ClientHttp2Session {
  // The authority is informational here: the socket comes from createConnection.
  const scheme = address.secure ? 'https' : 'http';
  const authority = address.kind === 'unix' ? `${scheme}://localhost` : `${scheme}://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  const session = connectHttp2(authority, {
    settings: PEER_HTTP2_SETTINGS,
    createConnection: () => openSocket(address, tls, 'h2'),
  });
  session.once('connect', () => widenSessionWindow(session));
  watchLiveness(session);
  return session;
}

/** A session to one peer URL (http, https, unix, unixs); throws PeerUrlError for a URL that cannot be dialed. */
export function dialPeerUrl(url: string, tls: TlsMaterial | null): ClientHttp2Session {
  return dialSession(parsePeerUrl(url), tls);
}

export function widenSessionWindow(session: Http2Session): void {
  if (session.destroyed || session.closed) return;
  session.setLocalWindowSize(SESSION_WINDOW_BYTES);
}

/**
 * Pings the other end and destroys the session when a ping stays unanswered for
 * PING_TIMEOUT_MS: a peer whose machine vanished never sends a FIN.
 */
export function watchLiveness(session: Http2Session): void {
  let outstandingSinceMs: number | null = null;
  const startedMs = performance.now();
  const timer = setInterval(() => {
    if (session.destroyed) return;
    const nowMs = performance.now();
    if (session.connecting) {
      if (nowMs - startedMs > DIAL_TIMEOUT_MS) session.destroy(new Error('connecting to peer timed out'));
      return;
    }
    if (outstandingSinceMs !== null) {
      if (nowMs - outstandingSinceMs > PING_TIMEOUT_MS) session.destroy(new Error('peer did not answer pings'));
      return;
    }
    outstandingSinceMs = nowMs;
    // The callback's error (session closing) needs no handling: 'close' follows.
    session.ping(() => {
      outstandingSinceMs = null;
    });
  }, PING_INTERVAL_MS);
  // The session's socket keeps the process alive while it matters; the timer must not.
  timer.unref();
  session.once('close', () => clearInterval(timer));
}
