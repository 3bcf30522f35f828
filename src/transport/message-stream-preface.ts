// The opening bytes of a message stream connection. The dialer names the protocol
// version, the cluster, itself and the addressee; the listener answers with an
// HTTP-like status and its cluster id. After an accepting answer only frames follow.
//
//   dialer:   "etcd-ts-raft/<version>\n" cluster-id:u64 from:u64 to:u64
//   listener: status:u16 cluster-id:u64
import { PROTOCOL_VERSION } from './wire-protocol.js';

/** ALPN name offered for a message stream over TLS (HTTP/2 is still `h2`). */
export const MESSAGE_STREAM_ALPN = 'etcd-ts-raft';
/** A message stream connection starts with this; an HTTP/2 one with "PRI". */
export const PREFACE_MAGIC = Buffer.from('etcd-ts-raft/', 'latin1');
const LINE_END = 0x0a;
/** The version line, magic and newline included, is never longer than this. */
const VERSION_LINE_BYTES_MAX = PREFACE_MAGIC.length + 8;
const ID_BYTES = 8;
const IDS_BYTES = 3 * ID_BYTES;
export const ANSWER_BYTES = 2 + ID_BYTES;

export interface PrefaceClaims {
  /** The version the dialer speaks, as text. */
  readonly version: string;
  readonly clusterId: bigint;
  readonly from: bigint;
  readonly to: bigint;
}

export function encodePreface(clusterId: bigint, from: bigint, to: bigint): Buffer {
  const line = Buffer.from(`${PREFACE_MAGIC.toString('latin1')}${PROTOCOL_VERSION}\n`, 'latin1');
  const out = Buffer.alloc(line.length + IDS_BYTES);
  line.copy(out);
  out.writeBigUInt64BE(clusterId, line.length);
  out.writeBigUInt64BE(from, line.length + ID_BYTES);
  out.writeBigUInt64BE(to, line.length + 2 * ID_BYTES);
  return out;
}

/** The dialer's preface is not ours: wrong magic or an endless version line. */
export class PrefaceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrefaceError';
  }
}

export type PrefaceRead =
  | { readonly kind: 'partial' }
  /** Another version: its layout after the line is unknown, so only the version is known. */
  | { readonly kind: 'other-version'; readonly version: string }
  | { readonly kind: 'complete'; readonly claims: PrefaceClaims; readonly rest: Buffer };

/** Reads the dialer's preface from the bytes received so far; throws PrefaceError. */
export function readPreface(received: Buffer): PrefaceRead {
  const magicBytes = Math.min(received.length, PREFACE_MAGIC.length);
  if (!received.subarray(0, magicBytes).equals(PREFACE_MAGIC.subarray(0, magicBytes))) {
    throw new PrefaceError('not a message stream preface');
  }
  const lineEnd = received.indexOf(LINE_END, PREFACE_MAGIC.length);
  if (lineEnd < 0) {
    if (received.length >= VERSION_LINE_BYTES_MAX) throw new PrefaceError('message stream version line too long');
    return { kind: 'partial' };
  }
  const version = received.toString('latin1', PREFACE_MAGIC.length, lineEnd);
  if (version !== PROTOCOL_VERSION) return { kind: 'other-version', version };
  const idsAt = lineEnd + 1;
  if (received.length < idsAt + IDS_BYTES) return { kind: 'partial' };
  const claims: PrefaceClaims = {
    version,
    clusterId: received.readBigUInt64BE(idsAt),
    from: received.readBigUInt64BE(idsAt + ID_BYTES),
    to: received.readBigUInt64BE(idsAt + 2 * ID_BYTES),
  };
  return { kind: 'complete', claims, rest: received.subarray(idsAt + IDS_BYTES) };
}

export function encodeAnswer(status: number, clusterId: bigint): Buffer {
  const out = Buffer.alloc(ANSWER_BYTES);
  out.writeUInt16BE(status, 0);
  out.writeBigUInt64BE(clusterId, 2);
  return out;
}

export interface PrefaceAnswer {
  readonly status: number;
  readonly clusterId: bigint;
}

/** The listener's answer once ANSWER_BYTES have arrived. */
export function readAnswer(received: Buffer): PrefaceAnswer {
  return { status: received.readUInt16BE(0), clusterId: received.readBigUInt64BE(2) };
}
