// Splits a request body into gRPC messages as its DATA frames arrive: the 5-byte
// prefix, the size limit (checked as soon as a prefix announces too much, in
// grpc-js's words) and gzip/deflate for a client that compresses.
import { gunzipSync, inflateSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import { MESSAGE_PREFIX_BYTES, type CallStatus } from './grpc-wire.js';

export class MessageReader {
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(
    /** -1: no limit. */
    private readonly limitBytes: number,
    /** The request's grpc-encoding ('identity' when absent). */
    private readonly encoding: string,
  ) {}

  /** Bytes of a message not yet whole. */
  get partialBytes(): number {
    return this.heldBytes;
  }

  /** Appends body bytes; returns the messages they complete, or the status that ends the call. */
  push(chunk: Buffer): Buffer[] | CallStatus {
    if (chunk.length === 0) return [];
    let data = chunk;
    if (this.heldBytes > 0) {
      this.held.push(chunk);
      data = Buffer.concat(this.held, this.heldBytes + chunk.length);
      this.held = [];
      this.heldBytes = 0;
    }
    const messages: Buffer[] = [];
    let at = 0;
    // Each pass consumes one whole message, so the data's length bounds it.
    while (data.length - at >= MESSAGE_PREFIX_BYTES) {
      const length = data.readUInt32BE(at + 1);
      const tooLarge = oversized(length, this.limitBytes);
      if (tooLarge !== null) return tooLarge;
      const end = at + MESSAGE_PREFIX_BYTES + length;
      if (end > data.length) break;
      const message = this.inflated(data[at] === 1, data.subarray(at + MESSAGE_PREFIX_BYTES, end));
      if (!Buffer.isBuffer(message)) return message;
      messages.push(message);
      at = end;
    }
    if (at < data.length) {
      const rest = data.subarray(at);
      this.held.push(rest);
      this.heldBytes = rest.length;
    }
    return messages;
  }

  private inflated(compressed: boolean, bytes: Buffer): Buffer | CallStatus {
    if (!compressed) return bytes;
    const encoding = this.encoding;
    if (encoding === 'identity') {
      return { code: status.INTERNAL, details: 'Received compressed message but "grpc-encoding" header was identity', metadata: null };
    }
    if (encoding !== 'gzip' && encoding !== 'deflate') {
      return { code: status.UNIMPLEMENTED, details: `Received message compressed with unsupported encoding "${encoding}"`, metadata: null };
    }
    const limit = this.limitBytes === -1 ? undefined : this.limitBytes + 1;
    let plain: Buffer;
    try {
      plain = encoding === 'gzip' ? gunzipSync(bytes, { maxOutputLength: limit }) : inflateSync(bytes, { maxOutputLength: limit });
    } catch (error) {
      if (limit !== undefined && error instanceof RangeError) return oversized(limit, this.limitBytes) as CallStatus;
      return { code: status.INTERNAL, details: `Received message that could not be decompressed: ${error instanceof Error ? error.message : String(error)}`, metadata: null };
    }
    return oversized(plain.length, this.limitBytes) ?? plain;
  }
}

export function oversized(lengthBytes: number, limitBytes: number): CallStatus | null {
  if (limitBytes === -1 || lengthBytes <= limitBytes) return null;
  return { code: status.RESOURCE_EXHAUSTED, details: `Received message larger than max (${lengthBytes} vs ${limitBytes})`, metadata: null };
}
