// HashKV between members over the peer URLs, as etcd's corruption checks do it:
// GET /members/hashkv with a JSON HashKVRequest body, answered with a JSON
// HashKVResponse (Go's encoding: snake_case names, numbers, zero values left out),
// or 400 with the mvcc error text when the revision is compacted or in the future.
import { isEtcdError } from '../errors/etcd-error.js';
import { ERROR_TABLE } from '../errors/error-table.js';
import type { HashKVResult } from '../mvcc/kv-view.js';
import type { TlsMaterial } from '../tls/tls-material.js';
import { dialPeerUrl } from '../transport/peer-session.js';
import { HASHKV_PATH } from '../transport/wire-protocol.js';

/** A HashKV request or answer is a few dozen bytes; anything this large is not one. */
export const PEER_HASHKV_BODY_BYTES_MAX = 64 * 1024;

const STATUS_OK = 200;
const STATUS_BAD_REQUEST = 400;
const COMPACTED_TEXT = ERROR_TABLE.Compacted.message.replace(/^etcdserver: /, '');
const FUTURE_REV_TEXT = ERROR_TABLE.FutureRev.message.replace(/^etcdserver: /, '');

export interface PeerHttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** What a member's store offers for a peer's hash request. */
export interface HashSource {
  hashKV(revision: number): Promise<HashKVResult>;
  readonly currentRevision: number;
}

/** A peer's answer: its hash at the revision asked, or why it could not give one. */
export type PeerHash =
  | { readonly ok: true; readonly hash: number; readonly revision: number; readonly compactRevision: number }
  | { readonly ok: false; readonly reason: 'compacted' | 'future-revision' | 'unreachable'; readonly detail: string };

function revisionOf(body: string): number | null {
  if (body.trim() === '') return 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const revision = (parsed as Record<string, unknown>)['revision'] ?? 0;
  return typeof revision === 'number' && Number.isSafeInteger(revision) ? revision : null;
}

/** Serves GET /members/hashkv for a peer. */
export async function answerPeerHashKv(source: HashSource, body: string): Promise<PeerHttpAnswer> {
  const revision = revisionOf(body);
  if (revision === null) return { status: STATUS_BAD_REQUEST, body: 'error unmarshalling request\n' };
  // As etcd's, the header's revision is the store's revision when the hash was asked for.
  const currentRevision = source.currentRevision;
  try {
    const result = await source.hashKV(revision);
    // Go's json leaves zero values out.
    const answer: Record<string, unknown> = { header: { revision: currentRevision } };
    if (result.hash !== 0) answer['hash'] = result.hash;
    if (result.compactRevision !== 0) answer['compact_revision'] = result.compactRevision;
    return { status: STATUS_OK, body: JSON.stringify(answer) };
  } catch (error) {
    if (isEtcdError(error) && error.code === 'Compacted') return { status: STATUS_BAD_REQUEST, body: `${COMPACTED_TEXT}\n` };
    if (isEtcdError(error) && error.code === 'FutureRev') return { status: STATUS_BAD_REQUEST, body: `${FUTURE_REV_TEXT}\n` };
    throw error;
  }
}

function parseAnswer(status: number, body: string): PeerHash {
  if (status === STATUS_BAD_REQUEST && body.includes(COMPACTED_TEXT)) return { ok: false, reason: 'compacted', detail: body.trim() };
  if (status === STATUS_BAD_REQUEST && body.includes(FUTURE_REV_TEXT)) return { ok: false, reason: 'future-revision', detail: body.trim() };
  if (status !== STATUS_OK) return { ok: false, reason: 'unreachable', detail: `unknown error: ${body.trim()}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'unreachable', detail: 'answer is not JSON' };
  }
  const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const header = (typeof record['header'] === 'object' && record['header'] !== null ? record['header'] : {}) as Record<string, unknown>;
  const number = (value: unknown): number => (typeof value === 'number' ? value : 0);
  return { ok: true, hash: number(record['hash']), revision: number(header['revision']), compactRevision: number(record['compact_revision']) };
}

/** Asks one peer URL for its hash at `revision`; never throws. */
export function fetchPeerHashKv(url: string, revision: number, tls: TlsMaterial | null, timeoutMs: number): Promise<PeerHash> {
  return new Promise<PeerHash>((resolve) => {
    const session = dialPeerUrl(url, tls);
    let settled = false;
    const finish = (answer: PeerHash): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: 'unreachable', detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
    session.on('error', (error: Error) => finish({ ok: false, reason: 'unreachable', detail: error.message }));
    // Node ends a GET's stream at once unless told otherwise; etcd's GET carries a JSON body.
    const request = session.request({ ':method': 'GET', ':path': HASHKV_PATH, 'content-type': 'application/json' }, { endStream: false });
    let status = 0;
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('response', (headers) => {
      status = Number(headers[':status'] ?? 0);
    });
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > PEER_HASHKV_BODY_BYTES_MAX) finish({ ok: false, reason: 'unreachable', detail: 'answer too large' });
      else chunks.push(chunk);
    });
    request.on('error', (error: Error) => finish({ ok: false, reason: 'unreachable', detail: error.message }));
    request.on('end', () => finish(parseAnswer(status, Buffer.concat(chunks).toString('utf8'))));
    request.end(JSON.stringify({ revision }));
  });
}
