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

export class FilePageSource implements PageSource {
  readonly sizeBytes: number;
  private fd: number | undefined;

  constructor(path: string) {
    const fd = openSync(path, 'r');
    this.fd = fd;
    this.sizeBytes = fstatSync(fd).size;
  }

  read(offset: number, length: number): Buffer {
    if (this.fd === undefined) throw new Error('bbolt file is closed');
    if (offset + length > this.sizeBytes) throw truncated(offset, length, this.sizeBytes);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    // Each pass reads at least one byte or stops, so this ends within `length` passes.
    while (done < length) {
      const n = readSync(this.fd, out, done, length - done, offset + done);
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
