// gRPC over HTTP/2 on the server side: the response header blocks (as etcd's
// gRPC-Go sends them), status trailers, metadata as header fields, and the 5-byte
// message prefix.
import { Metadata, status } from '@grpc/grpc-js';
import { encodeHeaderBlock } from '../http2/hpack-encoder.js';
import type { HeaderField } from '../http2/hpack-decoder.js';

/** gRPC message prefix: 1 byte compressed flag, 4 bytes big-endian length. */
export const MESSAGE_PREFIX_BYTES = 5;

export interface CallStatus {
  readonly code: number;
  readonly details: string;
  readonly metadata: Metadata | null;
}

// No grpc-encoding or grpc-accept-encoding: etcd's gRPC-Go sends neither, as it takes no compressed requests.
const STATUS_200 = field(':status', '200');
/** The usual response content types, whose header blocks are made once. */
const COMMON_CONTENT_TYPES = ['application/grpc', 'application/grpc+proto'] as const;
const RESPONSE_FIELDS: ReadonlyMap<string, readonly HeaderField[]> = new Map(COMMON_CONTENT_TYPES.map((type) => [type, [STATUS_200, field('content-type', type)]]));
/** What precedes the first response message when the handler sent no metadata. */
const RESPONSE_HEADERS_BLOCKS: ReadonlyMap<string, Buffer> = new Map([...RESPONSE_FIELDS].map(([type, fields]) => [type, encodeHeaderBlock(fields)]));

function responseFields(contentType: string): readonly HeaderField[] {
  return RESPONSE_FIELDS.get(contentType) ?? [STATUS_200, field('content-type', contentType)];
}

/** Trailers of a call that ended well without trailing metadata: gRPC-Go's OK carries an empty message. */
const OK_TRAILERS_BLOCK = encodeHeaderBlock([field('grpc-status', '0'), field('grpc-message', '')]);

function field(name: string, value: string): HeaderField {
  return { name, value, neverIndexed: false };
}

/** Metadata as header fields (binary values base64, as grpc-js sends them). */
export function metadataFields(metadata: Metadata | null): HeaderField[] {
  if (metadata === null) return [];
  const fields: HeaderField[] = [];
  for (const [name, value] of Object.entries(metadata.toHttp2Headers())) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) fields.push(field(name, String(one)));
  }
  return fields;
}

/** The headers before the first response message; `contentType` is the response's (see CallHead). */
export function responseHeadersBlock(metadata: Metadata | null, contentType: string): Buffer {
  const common = metadata === null ? RESPONSE_HEADERS_BLOCKS.get(contentType) : undefined;
  return common ?? encodeHeaderBlock([...responseFields(contentType), ...metadataFields(metadata)]);
}

/**
 * grpc-message as gRPC-Go writes it: bytes outside printable ASCII, and '%', percent-encoded;
 * spaces and other printable characters as they are. An OK status's message is empty.
 */
export function grpcMessageText(callStatus: CallStatus): string {
  if (callStatus.code === status.OK && callStatus.details === 'OK') return '';
  const details = callStatus.details;
  let plain = true;
  for (let i = 0; i < details.length && plain; i++) {
    const code = details.charCodeAt(i);
    plain = code >= 0x20 && code <= 0x7e && code !== 0x25;
  }
  if (plain) return details;
  let out = '';
  for (const byte of Buffer.from(details, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function statusFields(callStatus: CallStatus): HeaderField[] {
  return [field('grpc-status', String(callStatus.code)), field('grpc-message', grpcMessageText(callStatus)), ...metadataFields(callStatus.metadata)];
}

/** Trailers after response messages. */
export function trailersBlock(callStatus: CallStatus): Buffer {
  if (callStatus.code === status.OK && callStatus.details === 'OK' && callStatus.metadata === null) return OK_TRAILERS_BLOCK;
  return encodeHeaderBlock(statusFields(callStatus));
}

/** A response that is only a status (the trailers-only form). */
export function trailersOnlyBlock(callStatus: CallStatus, contentType: string): Buffer {
  // Pseudo-header fields come first (RFC 9113 8.3).
  return encodeHeaderBlock([...responseFields(contentType), ...statusFields(callStatus)]);
}

export function messagePrefix(bytes: number): Buffer {
  const prefix = Buffer.allocUnsafe(MESSAGE_PREFIX_BYTES);
  prefix[0] = 0;
  prefix.writeUInt32BE(bytes, 1);
  return prefix;
}

/** grpc-js's reading of a handler's error: a numeric code and its details, else UNKNOWN with the message. */
export function errorToStatus(error: unknown, trailer: Metadata | null): CallStatus {
  const fields = typeof error === 'object' && error !== null ? (error as { code?: unknown; details?: unknown; message?: unknown; metadata?: unknown }) : {};
  const metadata = trailer ?? (fields.metadata instanceof Metadata ? fields.metadata : null);
  if (typeof fields.code === 'number' && Number.isInteger(fields.code)) {
    const details = typeof fields.details === 'string' ? fields.details : typeof fields.message === 'string' ? fields.message : 'Unknown Error';
    return { code: fields.code, details, metadata };
  }
  return { code: status.UNKNOWN, details: typeof fields.message === 'string' ? fields.message : 'Unknown Error', metadata };
}
