// Where a reader's bytes come from: a buffer already in memory, or a file read page
// by page, so a multi-gigabyte snapshot never has to fit in memory at once.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { BboltFormatError } from './bbolt-format.js';

export interface PageSource {
  readonly sizeBytes: number;
  /** Exactly `length` bytes at `offset`; throws BboltFormatError past the end. */
  read(offset: number, length: number): Buffer;
  close(): void;
}

export class MemoryPageSource implements PageSource {
  readonly sizeBytes: number;
  private readonly bytes: Buffer;

  constructor(bytes: Uint8Array) {
    this.bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.sizeBytes = bytes.byteLength;
  }

  read(offset: number, length: number): Buffer {
    if (offset + length > this.sizeBytes) throw truncated(offset, length, this.sizeBytes);
    return this.bytes.subarray(offset, offset + length);
  }

  close(): void {}
}

/** Bytes read at once while pages are read in file order (a freshly written file's leaves). */
export const READ_AHEAD_BYTES = 1024 * 1024;

/**
 * Reads what is asked, except that a read starting where the last one ended (a
 * sequential walk) reads READ_AHEAD_BYTES ahead, and later reads inside that
 * window are views of it. Windows are never reused, so earlier views stay valid.
 */
export class FilePageSource implements PageSource {
  readonly sizeBytes: number;
  private fd: number | undefined;
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;
  /** Where the last read outside the window ended. */
  private lastEnd = 0;

  constructor(path: string) {
    const fd = openSync(path, 'r');
    this.fd = fd;
    this.sizeBytes = fstatSync(fd).size;
  }

  read(offset: number, length: number): Buffer {
    if (this.fd === undefined) throw new Error('bbolt file is closed');
    if (offset + length > this.sizeBytes) throw truncated(offset, length, this.sizeBytes);
    const windowEnd = this.windowStart + this.window.length;
    if (offset >= this.windowStart && offset + length <= windowEnd) {
      return this.window.subarray(offset - this.windowStart, offset - this.windowStart + length);
    }
    const sequential = offset === windowEnd || offset === this.lastEnd;
    if (!sequential || length >= READ_AHEAD_BYTES) {
      this.lastEnd = offset + length;
      return this.readAt(this.fd, offset, length);
    }
    this.window = this.readAt(this.fd, offset, Math.min(READ_AHEAD_BYTES, this.sizeBytes - offset));
    this.windowStart = offset;
    return this.window.subarray(0, length);
  }

  private readAt(fd: number, offset: number, length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    // Each pass reads at least one byte or stops, so this ends within `length` passes.
    while (done < length) {
      const n = readSync(fd, out, done, length - done, offset + done);
      if (n === 0) throw truncated(offset, length, offset + done);
      done += n;
    }
    return out;
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

function truncated(offset: number, length: number, sizeBytes: number): BboltFormatError {
  return new BboltFormatError(`file truncated: need bytes ${offset}..${offset + length}, file has ${sizeBytes}`);
}
