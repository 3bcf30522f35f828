// gRPC's length-prefixed messages on a byte stream: framing for sends, and a splitter that
// turns arbitrary chunks back into whole messages (a streaming reply arrives in any cut).

const GRPC_PREFIX_BYTES = 5;

/** The 5-byte prefix (uncompressed flag + big-endian length) followed by the message. */
export function framed(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(GRPC_PREFIX_BYTES + payload.length);
  out.writeUInt8(0, 0);
  out.writeUInt32BE(payload.length, 1);
  payload.copy(out, GRPC_PREFIX_BYTES);
  return out;
}

export class FrameSplitter {
  private pending: Buffer = Buffer.alloc(0);

  /** @param messageBytesMax a message larger than this is a protocol error, not a reason to buffer */
  constructor(private readonly messageBytesMax: number) {}

  /** Feeds one chunk; calls onMessage for every message completed by it, in order. */
  push(chunk: Buffer, onMessage: (message: Buffer) => void): void {
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (buf.length >= GRPC_PREFIX_BYTES) {
      const length = buf.readUInt32BE(1);
      if (length > this.messageBytesMax) throw new Error(`message of ${length} bytes is over the ${this.messageBytesMax}-byte limit`);
      if (buf.length < GRPC_PREFIX_BYTES + length) break;
      onMessage(buf.subarray(GRPC_PREFIX_BYTES, GRPC_PREFIX_BYTES + length));
      buf = buf.subarray(GRPC_PREFIX_BYTES + length);
    }
    this.pending = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
  }

  /** Bytes held back waiting for the rest of a message. */
  get pendingBytes(): number {
    return this.pending.length;
  }
}
