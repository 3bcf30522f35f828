// Child process for the kill -9 test: saves entries from 16 concurrent callers
// into the WAL in argv[2] and prints "ack <index>" once each save has resolved.
// With argv[3] "inline" every save may be written on the event loop thread.
import { Wal } from '../../src/wal/wal.js';
import { makeEntry } from './wal-fixtures.js';

const CALLERS = 16;
const MAX_SAVES = 1_000_000;
const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: wal-crash-writer <dir> [inline]');
const inline = process.argv[3] === 'inline';

const wal = await Wal.create(dir, new Uint8Array([42]), { segmentSizeBytes: 64 * 1024 });
let nextIndex = 1;
const caller = async (): Promise<void> => {
  // Runs until the parent kills the process; the bound only guards a runaway child.
  while (nextIndex <= MAX_SAVES) {
    const index = nextIndex++;
    await wal.save({ term: 1, vote: 1n, commit: index - 1 }, [makeEntry(index, 1, 300 + (index % 7) * 100)], inline);
    process.stdout.write(`ack ${index}\n`);
  }
};
await Promise.all(Array.from({ length: CALLERS }, caller));
