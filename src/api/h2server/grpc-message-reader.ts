// Splits a request body into gRPC messages as its DATA frames arrive: the 5-byte
// prefix and the size limit (checked as soon as a prefix announces too much, in
// grpc-js's words). A call reaches here only uncompressed (see grpc-server.ts), so a
// set compressed flag, or any other flag value, is gRPC-Go's INTERNAL, as etcd answers it.
import { status } from '@grpc/grpc-js';
import { MESSAGE_PREFIX_BYTES, type CallStatus } from './grpc-wire.js';

const COMPRESSED_FLAG = 1;
const COMPRESSED_WITHOUT_ENCODING: CallStatus = { code: status.INTERNAL, details: 'grpc: compressed flag set with identity or empty encoding', metadata: null };

export class MessageReader {
  private held: Buffer[] = [];
  private heldBytes = 0;

  constructor(
    /** -1: no limit. */
    private readonly limitBytes: number,
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
      const flag = data[at] ?? 0;
      if (flag === COMPRESSED_FLAG) return COMPRESSED_WITHOUT_ENCODING;
      if (flag !== 0) return { code: status.INTERNAL, details: `grpc: received unexpected payload format ${flag}`, metadata: null };
      messages.push(data.subarray(at + MESSAGE_PREFIX_BYTES, end));
      at = end;
    }
    if (at < data.length) {
      const rest = data.subarray(at);
      this.held.push(rest);
      this.heldBytes = rest.length;
    }
    return messages;
  }
}

export function oversized(lengthBytes: number, limitBytes: number): CallStatus | null {
  if (limitBytes === -1 || lengthBytes <= limitBytes) return null;
  return { code: status.RESOURCE_EXHAUSTED, details: `Received message larger than max (${lengthBytes} vs ${limitBytes})`, metadata: null };
}
