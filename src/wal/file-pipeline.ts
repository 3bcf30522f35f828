// Prepares the next segment file in the background (zero-filled to full size and
// synced) so that cutting a new segment does not wait for allocation, as etcd's
// file pipeline does; a new WAL's first segment is only sized, so creating a WAL
// does not wait for the fill. Prepared files are named 0.tmp / 1.tmp until renamed.
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/** Zero-filling in chunks keeps memory flat however large the segment. */
const PREALLOCATE_CHUNK_BYTES = 1024 * 1024;
export const PREPARED_SUFFIX = '.tmp';

export interface PreparedFile {
  readonly path: string;
  readonly handle: FileHandle;
}

export class FilePipeline {
  private next: Promise<PreparedFile> | null = null;
  private preparedCount = 0;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly fileSizeBytes: number,
  ) {}

  /**
   * Hands out the prepared file and starts preparing its successor. With none
   * prepared (a new WAL's first segment) the caller would wait for the zero fill,
   * so that one is only sized (sparse); its successors are filled in the background.
   */
  async take(): Promise<PreparedFile> {
    const ready = this.next ?? this.prepare('sized');
    this.next = this.closed ? null : this.prepare('filled');
    return ready;
  }

  start(): void {
    if (this.next === null && !this.closed) this.next = this.prepare('filled');
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.next;
    this.next = null;
    if (pending === null) return;
    const file = await pending.catch(() => null);
    if (file === null) return;
    await file.handle.close();
    await unlink(file.path).catch(() => undefined);
  }

  private prepare(how: Preallocation): Promise<PreparedFile> {
    const path = join(this.dir, `${this.preparedCount % 2}${PREPARED_SUFFIX}`);
    this.preparedCount++;
    const preparing = preallocate(path, this.fileSizeBytes, how);
    // A failure is reported to whoever takes the file, not as an unhandled rejection.
    preparing.catch(() => undefined);
    return preparing;
  }
}

/**
 * etcd reserves a segment's blocks with fallocate, which Node lacks. 'filled'
 * writes the zeros (blocks reserved, later fdatasyncs need no allocation: the
 * same guarantee, at the cost of writing the size once). 'sized' only sets the
 * length, as etcd's own fallback where fallocate is unsupported: reads see zeros,
 * but blocks are allocated (and ENOSPC found) as records are written.
 */
type Preallocation = 'filled' | 'sized';

async function preallocate(path: string, sizeBytes: number, how: Preallocation): Promise<PreparedFile> {
  const handle = await open(path, 'w+');
  try {
    if (how === 'sized') {
      await handle.truncate(sizeBytes);
      await handle.sync();
      return { path, handle };
    }
    const zeros = new Uint8Array(Math.min(PREALLOCATE_CHUNK_BYTES, sizeBytes));
    // Each pass writes at least one byte or throws, so the size bounds the loop.
    for (let written = 0; written < sizeBytes; ) {
      const length = Math.min(zeros.length, sizeBytes - written);
      const { bytesWritten } = await handle.write(zeros, 0, length, written);
      if (bytesWritten <= 0) throw new Error(`wal: preallocating ${path} made no progress at byte ${written}`);
      written += bytesWritten;
    }
    await handle.sync();
    return { path, handle };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
