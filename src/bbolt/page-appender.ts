// Hands out page ids in file order and appends the pages behind them through one
// bounded buffer, so writing a large file costs a few large writes, not one per page.
import type { FileHandle } from 'node:fs/promises';
import { assert } from '../util/assert.js';
import { PAGE_ID_OFFSET } from './bbolt-format.js';

/** Pending page bytes kept before they are written out. */
export const APPEND_BUFFER_BYTES = 1024 * 1024;
/** Pages 0 and 1 hold the metas, which are written last. */
const FIRST_DATA_PGID = 2;

export class PageAppender {
  private nextPgid = FIRST_DATA_PGID;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private flushedPgid = FIRST_DATA_PGID;

  constructor(
    private readonly file: FileHandle,
    readonly pageBytes: number,
  ) {}

  /** The high-water mark: one past the last page appended. */
  get pgidLimit(): number {
    return this.nextPgid;
  }

  /** Appends `page` (whole pages, overflow included), stamps its id in the header and returns it. */
  async append(page: Buffer): Promise<number> {
    assert(page.length > 0 && page.length % this.pageBytes === 0, `page of ${page.length} bytes is not whole pages`);
    const pgid = this.nextPgid;
    page.writeBigUInt64LE(BigInt(pgid), PAGE_ID_OFFSET);
    this.nextPgid += page.length / this.pageBytes;
    this.pending.push(page);
    this.pendingBytes += page.length;
    if (this.pendingBytes >= APPEND_BUFFER_BYTES) await this.flush();
    return pgid;
  }

  async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const position = this.flushedPgid * this.pageBytes;
    // One gathered write; a short write (rare) finishes with plain writes of the rest.
    const { bytesWritten } = await this.file.writev(this.pending, position);
    if (bytesWritten < this.pendingBytes) {
      const bytes = Buffer.concat(this.pending, this.pendingBytes);
      let written = bytesWritten;
      // Each pass writes at least one byte or fails, so this ends within bytes.length passes.
      while (written < bytes.length) {
        const { bytesWritten: n } = await this.file.write(bytes, written, bytes.length - written, position + written);
        if (n <= 0) throw new Error(`writing bbolt pages at byte ${position + written} made no progress`);
        written += n;
      }
    }
    this.flushedPgid = this.nextPgid;
    this.pending = [];
    this.pendingBytes = 0;
  }
}
