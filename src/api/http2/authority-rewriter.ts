// The client-to-server half of a connection whose requests carry a URL as :authority
// (etcdctl 3.4 dials "passthrough:///http://host:port"): every header block is decoded
// and sent again with :authority cut to host:port, which Node's HTTP/2 layer accepts.
// Other frames pass untouched; the connection preface is expected to be already read.
import { FrameReader, FrameFlag, FrameType, frameHeader, FRAME_PAYLOAD_BYTES_DEFAULT, type Frame } from './frame-reader.js';
import type { HeaderBlock } from './header-block-assembler.js';
import { HeaderBlockAssembler } from './header-block-assembler.js';
import { HpackDecoder, type HeaderField } from './hpack-decoder.js';
import { encodeHeaderBlock } from './hpack-encoder.js';
import { Http2InputError } from './http2-input-error.js';

/** Compressed octets of one header block held at most while its CONTINUATIONs arrive. */
export const HEADER_BLOCK_BYTES_MAX = 256 * 1024;

/** "http://127.0.0.1:2379" or "http://host:port/path" → "host:port"; null when it is already host:port. */
export function authorityOfUrl(authority: string): string | null {
  if (!authority.includes('/')) return null;
  const schemeEnd = authority.indexOf('://');
  const rest = schemeEnd >= 0 ? authority.slice(schemeEnd + 3) : authority;
  const slash = rest.indexOf('/');
  return slash >= 0 ? rest.slice(0, slash) : rest;
}

export function rewriteFields(fields: readonly HeaderField[]): HeaderField[] {
  return fields.map((field) => {
    if (field.name !== ':authority') return field;
    const host = authorityOfUrl(field.value);
    return host === null ? field : { ...field, value: host };
  });
}

export class AuthorityRewriter {
  private readonly reader = new FrameReader();
  private readonly assembler = new HeaderBlockAssembler(HEADER_BLOCK_BYTES_MAX);
  private readonly decoder = new HpackDecoder();

  constructor(private readonly frameBytesMax = FRAME_PAYLOAD_BYTES_DEFAULT) {}

  /** Bytes that arrived (after the preface) → bytes to hand the server; throws Http2InputError on bad input. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    for (const frame of this.reader.push(chunk)) this.take(frame, out);
    return out;
  }

  private take(frame: Frame, out: Buffer[]): void {
    if (frame.type === FrameType.pushPromise) throw new Http2InputError('PUSH_PROMISE from a client');
    if (frame.type !== FrameType.headers && frame.type !== FrameType.continuation) {
      if (this.assembler.inBlock) throw new Http2InputError('frame inside a header block');
      out.push(frame.raw);
      return;
    }
    const block = this.assembler.push(frame);
    if (block === null) return;
    const fields = rewriteFields(this.decoder.decode(block.fragment));
    out.push(...headerFrames(block, encodeHeaderBlock(fields), this.frameBytesMax));
  }
}

/** One HEADERS frame and as many CONTINUATION frames as the payload limit needs. */
export function headerFrames(block: HeaderBlock, encoded: Buffer, frameBytesMax: number): Buffer[] {
  const frames: Buffer[] = [];
  const priority = block.priority ?? Buffer.alloc(0);
  const firstRoom = frameBytesMax - priority.length;
  let at = Math.min(encoded.length, firstRoom);
  let flags = (block.endStream ? FrameFlag.endStream : 0) | (block.priority === null ? 0 : FrameFlag.priority);
  if (at === encoded.length) flags |= FrameFlag.endHeaders;
  frames.push(frameHeader(priority.length + at, FrameType.headers, flags, block.streamId), priority, encoded.subarray(0, at));
  while (at < encoded.length) {
    const end = Math.min(encoded.length, at + frameBytesMax);
    const last = end === encoded.length ? FrameFlag.endHeaders : 0;
    frames.push(frameHeader(end - at, FrameType.continuation, last, block.streamId), encoded.subarray(at, end));
    at = end;
  }
  return frames;
}
