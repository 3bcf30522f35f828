// Sends one MsgSnap on a connection of its own, so a snapshot of hundreds of
// megabytes never delays heartbeats on the message stream, and reports the outcome.
import type { ClientHttp2Session, OutgoingHttpHeaders } from 'node:http2';
import type { TlsMaterial } from '../tls/tls-material.js';
import type { PeerAddress } from './peer-address.js';
import { dialSession } from './peer-session.js';
import { SNAPSHOT_PATH, STATUS_SNAPSHOT_OK } from './wire-protocol.js';

/** ok: the receiver decoded the snapshot and handed it to raft; otherwise why not. */
export type UploadOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface SnapshotUpload {
  /** Settles once: acknowledged, refused, or failed. */
  readonly done: Promise<UploadOutcome>;
  /** Resolves after the connection has fully closed. */
  readonly closed: Promise<void>;
  /** Aborts the upload; `done` then settles as failed. */
  abort(): void;
}

export function uploadSnapshot(address: PeerAddress, tls: TlsMaterial | null, headers: OutgoingHttpHeaders, payload: Uint8Array): SnapshotUpload {
  const session: ClientHttp2Session = dialSession(address, tls);
  const closed = new Promise<void>((resolve) => session.once('close', resolve));
  let settle: (outcome: UploadOutcome) => void = () => undefined;
  const done = new Promise<UploadOutcome>((resolve) => {
    settle = (outcome) => {
      settle = () => undefined;
      resolve(outcome);
      // Graceful when acknowledged (nothing left to say), abrupt otherwise.
      if (outcome.ok) session.close();
      else session.destroy();
    };
  });
  session.on('error', (error) => settle({ ok: false, reason: `connection error: ${error.message}` }));
  session.on('close', () => settle({ ok: false, reason: 'connection closed before an answer' }));
  const request = session.request(
    { ...headers, ':method': 'POST', ':path': SNAPSHOT_PATH, 'content-length': String(payload.length) },
    { endStream: false },
  );
  request.on('response', (responseHeaders) => {
    const status = responseHeaders[':status'];
    if (status === STATUS_SNAPSHOT_OK) settle({ ok: true });
    else settle({ ok: false, reason: `peer answered status ${String(status)}` });
  });
  request.on('error', (error) => settle({ ok: false, reason: `stream error: ${error.message}` }));
  request.on('close', () => settle({ ok: false, reason: 'stream closed before an answer' }));
  // The answer carries no body worth reading; drain it so the stream can finish.
  request.resume();
  request.end(payload);
  return { done, closed, abort: () => settle({ ok: false, reason: 'aborted' }) };
}
