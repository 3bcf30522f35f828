// Pages are built straight into fixed-size blocks of the output (a page that would
// straddle two blocks is built aside and copied across), so a streamed file costs one
// zeroed allocation per block and no per-page copy. Full blocks are handed out in order,
// each with `headroomBytes` of zeroes of its own right before it (for a message header).
import { assert } from '../util/assert.js';

export class PageBlocks {
  private block: Buffer;
  private used = 0;
  private straddling: Buffer | undefined;
  private readonly full: Buffer[] = [];

  constructor(
    private readonly blockBytes: number,
    private readonly headroomBytes = 0,
  ) {
    this.block = this.allocate();
  }

  /** A zeroed region of `bytes` to fill; call commit() once it is filled, before the next reserve(). */
  reserve(bytes: number): Buffer {
    assert(this.straddling === undefined, 'reserve() before commit()');
    if (this.used + bytes <= this.blockBytes) {
      const page = this.block.subarray(this.used, this.used + bytes);
      this.used += bytes;
      return page;
    }
    this.straddling = Buffer.alloc(bytes);
    return this.straddling;
  }

  /** True once a block is full: take it before it piles up. */
  get hasFull(): boolean {
    return this.full.length > 0;
  }

  commit(): void {
    const page = this.straddling;
    if (page === undefined) {
      // A block is handed out only after the page that completes it is filled.
      if (this.used === this.blockBytes) this.next();
      return;
    }
    this.straddling = undefined;
    // Each pass fills the block or finishes the page, so this ends within page/block + 1 passes.
    for (let at = 0; at < page.length; ) {
      const n = page.copy(this.block, this.used, at);
      at += n;
      this.used += n;
      if (this.used === this.blockBytes) this.next();
    }
  }

  /** Full blocks ready to send, oldest first (the list is emptied). */
  takeFull(): Buffer[] {
    return this.full.splice(0);
  }

  /** The last, partly filled block (empty when the data ended on a block boundary). */
  finish(): Buffer {
    assert(this.straddling === undefined, 'finish() before commit()');
    const last = this.block.subarray(0, this.used);
    this.used = 0;
    return last;
  }

  private next(): void {
    this.full.push(this.block);
    this.block = this.allocate();
    this.used = 0;
  }

  private allocate(): Buffer {
    return Buffer.alloc(this.headroomBytes + this.blockBytes).subarray(this.headroomBytes);
  }
}
