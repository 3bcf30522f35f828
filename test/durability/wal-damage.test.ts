// Damage to the WAL as a crash or a bad disk leaves it: a torn record after the
// last good one is cut off at start-up and the member serves everything it had
// acknowledged; a damaged record in the middle stops start-up with a message that
// names the file and the offset, instead of silently losing data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { RawKv } from '../support/raw-kv.js';

const WRITES = 40;
const SCAN_CHUNK_BYTES = 1024 * 1024;

/** A member that acknowledged some writes and was then SIGKILLed: its last WAL segment and where its data ends. */
async function killedAfterWrites(server: ServerProcess): Promise<{ path: string; end: number }> {
  await writeSome(server);
  await server.kill();
  const path = await walFile(server.dataDir);
  return { path, end: await endOfData(path) };
}

async function writeSome(server: ServerProcess): Promise<void> {
  const kv = new RawKv(server.endpoint);
  try {
    for (let i = 0; i < WRITES; i++) await kv.put({ key: Buffer.from(`wal/${i}`), value: Buffer.alloc(200, i) });
  } finally {
    kv.close();
  }
}

async function walFile(dataDir: string): Promise<string> {
  const dir = join(dataDir, 'member', 'wal');
  const names = (await readdir(dir)).filter((name) => name.endsWith('.wal')).sort();
  const last = names[names.length - 1];
  assert.ok(last !== undefined, 'the member should have a WAL segment');
  return join(dir, last);
}

/** Offset just past the last non-zero byte: where the next record would have gone. */
async function endOfData(path: string): Promise<number> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    let end = 0;
    const chunk = Buffer.alloc(SCAN_CHUNK_BYTES);
    for (let offset = 0; offset < size; offset += SCAN_CHUNK_BYTES) {
      const { bytesRead } = await file.read(chunk, 0, SCAN_CHUNK_BYTES, offset);
      for (let i = bytesRead - 1; i >= 0; i--) {
        if (chunk[i] !== 0) {
          end = offset + i + 1;
          break;
        }
      }
      if (bytesRead === 0) break;
    }
    return end;
  } finally {
    await file.close();
  }
}

async function overwrite(path: string, offset: number, bytes: Buffer): Promise<void> {
  const file = await open(path, 'r+');
  try {
    await file.write(bytes, 0, bytes.length, offset);
  } finally {
    await file.close();
  }
}

test('a torn record at the WAL tail is repaired at start-up and nothing acknowledged is lost', async () => {
  const server = await startServer();
  try {
    const { path, end } = await killedAfterWrites(server);
    // A record header that promises far more bytes than were written, then noise.
    const torn = Buffer.from([0x00, 0x10, 0x00, 0x00, 0x02, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03]);
    await overwrite(path, end, torn);
    await server.restart();
    const kv = new RawKv(server.endpoint);
    const all = await kv.range({ key: Buffer.from('wal/'), rangeEnd: Buffer.from('wal0') });
    assert.equal(all.kvs.length, WRITES);
    await kv.stillServes();
    kv.close();
  } finally {
    await server.stop();
  }
});

test('a damaged record before the tail stops start-up with the file and offset', async () => {
  const server = await startServer();
  try {
    const { path, end } = await killedAfterWrites(server);
    // Flip bytes well inside the written part: records after it are intact, so this is not a torn tail.
    const middle = Math.floor(end / 3);
    await overwrite(path, middle, Buffer.from([0xff, 0xff, 0xff, 0xff]));
    await assert.rejects(server.restart(), (error: unknown) => {
      const text = `${String(error)}\n${server.logs()}`;
      assert.match(text, /wal: corrupt record in .*\.wal at byte offset \d+/);
      return true;
    });
  } finally {
    await server.stop();
  }
});
