// A HEADERS frame's parts (RFC 9113 6.2): its flags, and the header block fragment
// with padding and priority fields taken off. CONTINUATION frames carry the rest of
// the block as they are.
import { Flag } from './h2-protocol.js';
import { Http2InputError } from '../http2/http2-input-error.js';

const PRIORITY_BYTES = 5;

export interface HeadersFrame {
  readonly streamId: number;
  /** END_STREAM was set. */
  readonly endStream: boolean;
  /** The first fragment of the header block. */
  readonly fragment: Buffer;
}

/** Throws Http2InputError for a frame the RFC calls malformed. */
export function readHeadersFrame(flags: number, streamId: number, payload: Buffer): HeadersFrame {
  if (streamId === 0) throw new Http2InputError('HEADERS on stream 0');
  let body = payload;
  if ((flags & Flag.padded) !== 0) {
    const padBytes = body[0];
    if (padBytes === undefined || padBytes >= body.length) throw new Http2InputError('bad HEADERS padding');
    body = body.subarray(1, body.length - padBytes);
  }
  if ((flags & Flag.priority) !== 0) {
    if (body.length < PRIORITY_BYTES) throw new Http2InputError('short HEADERS priority');
    body = body.subarray(PRIORITY_BYTES);
  }
  return { streamId, endStream: (flags & Flag.endStream) !== 0, fragment: body };
}
