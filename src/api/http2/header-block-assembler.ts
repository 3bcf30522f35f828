// Joins a HEADERS frame and its CONTINUATION frames into one header block, without
// padding, checking the frame order rules (RFC 9113 6.2, 6.10).
import { FrameFlag, FrameType, type Frame } from './frame-reader.js';
import { Http2InputError } from './http2-input-error.js';

const PRIORITY_BYTES = 5;

export interface HeaderBlock {
  readonly streamId: number;
  /** END_STREAM from the HEADERS frame. */
  readonly endStream: boolean;
  /** The HEADERS frame's priority fields, when it had them. */
  readonly priority: Buffer | null;
  readonly fragment: Buffer;
}

export class HeaderBlockAssembler {
  private opened: Omit<HeaderBlock, 'fragment'> | null = null;
  private fragments: Buffer[] = [];
  private fragmentBytes = 0;

  constructor(private readonly blockBytesMax: number) {}

  /** True between a HEADERS frame without END_HEADERS and its last CONTINUATION. */
  get inBlock(): boolean {
    return this.opened !== null;
  }

  /** Takes a HEADERS or CONTINUATION frame; returns the block once it is whole. */
  push(frame: Frame): HeaderBlock | null {
    if (frame.type === FrameType.headers) this.open(frame);
    else if (frame.type !== FrameType.continuation || this.opened === null || frame.streamId !== this.opened.streamId) {
      throw new Http2InputError('CONTINUATION out of place');
    } else this.append(frame.payload);
    if ((frame.flags & FrameFlag.endHeaders) === 0) return null;
    const block = { ...(this.opened as Omit<HeaderBlock, 'fragment'>), fragment: Buffer.concat(this.fragments) };
    this.opened = null;
    this.fragments = [];
    this.fragmentBytes = 0;
    return block;
  }

  private open(frame: Frame): void {
    if (this.opened !== null) throw new Http2InputError('HEADERS inside a header block');
    if (frame.streamId === 0) throw new Http2InputError('HEADERS on stream 0');
    let body = frame.payload;
    if ((frame.flags & FrameFlag.padded) !== 0) {
      const padBytes = body[0];
      if (padBytes === undefined || padBytes >= body.length) throw new Http2InputError('bad HEADERS padding');
      body = body.subarray(1, body.length - padBytes);
    }
    let priority: Buffer | null = null;
    if ((frame.flags & FrameFlag.priority) !== 0) {
      if (body.length < PRIORITY_BYTES) throw new Http2InputError('short HEADERS priority');
      priority = body.subarray(0, PRIORITY_BYTES);
      body = body.subarray(PRIORITY_BYTES);
    }
    this.opened = { streamId: frame.streamId, endStream: (frame.flags & FrameFlag.endStream) !== 0, priority };
    this.append(body);
  }

  private append(fragment: Buffer): void {
    this.fragmentBytes += fragment.length;
    if (this.fragmentBytes > this.blockBytesMax) throw new Http2InputError('header block too large');
    this.fragments.push(fragment);
  }
}
