// A writer process killed with SIGKILL mid-stream: every save it acknowledged is
// in the log on reopen, its stale lock is taken over, and appends continue.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Wal } from '../../src/wal/wal.js';
import { SMALL_SEGMENTS, makeEntry, segmentFiles, withTempDir } from './wal-fixtures.js';

const ACKS_BEFORE_KILL = 1500;
const CHILD_TIMEOUT_MS = 60_000;

/** The child runs the same way this file does: .ts under tsx, .js from dist. */
function childCommand(dir: string, inline: boolean): string[] {
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const script = fileURLToPath(new URL(`./wal-crash-writer.${extension}`, import.meta.url));
  const loaderArgs = process.execArgv.filter((arg, i, all) => arg.startsWith('--import') || all[i - 1] === '--import');
  return [...loaderArgs, script, dir, ...(inline ? ['inline'] : [])];
}

async function runAndKill(dir: string, inline: boolean): Promise<number> {
  const child = spawn(process.execPath, childCommand(dir, inline), { stdio: ['ignore', 'pipe', 'inherit'] });
  let highestAck = 0;
  let buffered = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) highestAck = Math.max(highestAck, Number(line.slice(4)));
    if (highestAck >= ACKS_BEFORE_KILL) child.kill('SIGKILL');
  });
  await exited;
  clearTimeout(timer);
  return highestAck;
}

for (const inline of [false, true]) test(`after kill -9 every acknowledged save is there and the log goes on${inline ? ' (saves written inline)' : ''}`, async () => {
  await withTempDir(async (dir) => {
    const walDir = join(dir, 'wal');
    const highestAck = await runAndKill(walDir, inline);
    assert.ok(highestAck >= ACKS_BEFORE_KILL, `the writer acknowledged only ${highestAck} saves`);
    assert.ok((await segmentFiles(walDir)).length > 2, 'the writer rolled over segments');

    const opened = await Wal.open(walDir, SMALL_SEGMENTS);
    try {
      assert.ok(opened.entries.length >= highestAck, `${opened.entries.length} entries, ${highestAck} acknowledged`);
      opened.entries.forEach((entry, i) => assert.deepEqual(entry, makeEntry(i + 1, 1, 300 + ((i + 1) % 7) * 100)));
      const next = opened.entries.length + 1;
      await opened.wal.save({ term: 2, vote: 2n, commit: next - 1 }, [makeEntry(next, 2, 10)]);
    } finally {
      await opened.wal.close();
    }
    const again = await Wal.open(walDir, SMALL_SEGMENTS);
    try {
      assert.deepEqual(again.entries.at(-1), makeEntry(again.entries.length, 2, 10));
    } finally {
      await again.wal.close();
    }
  });
});
