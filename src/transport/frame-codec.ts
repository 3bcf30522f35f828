// Length-prefixed framing of encoded messages on a message stream: the sender packs
// many frames into one write, the receiver cuts an arbitrary chunking back into frames.
import { FRAME_HEADER_BYTES } from './wire-protocol.js';

/** The stream carried bytes that cannot be frames; the connection must be closed. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/** Bytes a frame occupies on the wire. */
export function frameBytes(payload: Uint8Array): number {
  return FRAME_HEADER_BYTES + payload.length;
}

/** Packs payloads (each below 4 GiB, as the caller's limits guarantee) into one buffer. */
export function packFrames(payloads: readonly Uint8Array[]): Buffer {
  let total = 0;
  for (const p of payloads) total += frameBytes(p);
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const p of payloads) {
    out.writeUInt32BE(p.length, offset);
    out.set(p, offset + FRAME_HEADER_BYTES);
    offset += frameBytes(p);
  }
  return out;
}

/**
 * Reassembles frames from chunks. Holds at most one partial frame (bounded by
 * frameBytesMax) plus the chunk being cut.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;

  constructor(private readonly frameBytesMax: number) {}

  /** Returns the frames completed by this chunk; throws FrameError on an oversized frame. */
  push(chunk: Buffer): Buffer[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.bufferedBytes += chunk.length;
    }
    const frames: Buffer[] = [];
    // Bounded: each iteration consumes a whole frame from the buffered bytes.
    for (;;) {
      const length = this.peekLength();
      if (length === null || this.bufferedBytes < FRAME_HEADER_BYTES + length) break;
      frames.push(this.take(FRAME_HEADER_BYTES + length).subarray(FRAME_HEADER_BYTES));
    }
    return frames;
  }

  /** Bytes of a frame begun but not finished. */
  get pendingBytes(): number {
    return this.bufferedBytes;
  }

  private peekLength(): number | null {
    if (this.bufferedBytes < FRAME_HEADER_BYTES) return null;
    const length = this.gather(FRAME_HEADER_BYTES).readUInt32BE(0);
    if (length > this.frameBytesMax) {
      throw new FrameError(`frame of ${length} bytes exceeds the limit of ${this.frameBytesMax}`);
    }
    return length;
  }

  /** Merges the leading chunks, in one copy, until the first holds at least `bytes`. */
  private gather(bytes: number): Buffer {
    const head = this.chunks[0];
    if (head !== undefined && head.length >= bytes) return head;
    let count = 0;
    let gathered = 0;
    // Bounded by the number of buffered chunks.
    while (gathered < bytes && count < this.chunks.length) gathered += this.chunks[count++]?.length ?? 0;
    const merged = Buffer.concat(this.chunks.splice(0, count), gathered);
    this.chunks.unshift(merged);
    return merged;
  }

  private take(bytes: number): Buffer {
    const head = this.gather(bytes);
    this.chunks.shift();
    this.bufferedBytes -= bytes;
    if (head.length > bytes) this.chunks.unshift(head.subarray(bytes));
    return head.subarray(0, bytes);
  }
}
