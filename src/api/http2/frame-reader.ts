// Splits a client's HTTP/2 byte stream (after the connection preface) into whole frames,
// holding at most one frame's bytes; a frame above the size limit is an input error.
import { FRAME_HEADER_BYTES, FRAME_PAYLOAD_BYTES_DEFAULT } from '../h2server/h2-protocol.js';
import { Http2InputError } from './http2-input-error.js';

// The wire constants live with the server that speaks the protocol.
export { FRAME_HEADER_BYTES, FRAME_PAYLOAD_BYTES_DEFAULT, FrameType, Flag as FrameFlag } from '../h2server/h2-protocol.js';

export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
  /** Header and payload as they came, for passing the frame on untouched. */
  readonly raw: Buffer;
}

export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly payloadBytesMax = FRAME_PAYLOAD_BYTES_DEFAULT) {}

  /** Bytes held that are not yet a whole frame. */
  get bufferedBytes(): number {
    return this.pending.length;
  }

  /** Hands back the bytes of the frame not yet whole (for replaying them elsewhere) and forgets them. */
  takePending(): Buffer {
    const pending = this.pending;
    this.pending = Buffer.alloc(0);
    return pending;
  }

  /** Appends chunk and returns every frame it completes, in order. */
  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    let at = 0;
    while (this.pending.length - at >= FRAME_HEADER_BYTES) {
      const length = this.pending.readUIntBE(at, 3);
      if (length > this.payloadBytesMax) throw new Http2InputError(`frame of ${length} bytes above ${this.payloadBytesMax}`);
      const end = at + FRAME_HEADER_BYTES + length;
      if (end > this.pending.length) break;
      const raw = this.pending.subarray(at, end);
      frames.push({
        type: raw[3] ?? 0,
        flags: raw[4] ?? 0,
        streamId: raw.readUInt32BE(5) & 0x7fffffff,
        payload: raw.subarray(FRAME_HEADER_BYTES),
        raw,
      });
      at = end;
    }
    // Copied so that the frames handed out never alias bytes a later push overwrites.
    this.pending = at === 0 ? this.pending : Buffer.from(this.pending.subarray(at));
    return frames;
  }
}

export function frameHeader(length: number, type: number, flags: number, streamId: number): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUIntBE(length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return header;
}
