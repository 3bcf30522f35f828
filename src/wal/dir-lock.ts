// An exclusive lock on a WAL directory: a LOCK file created with O_EXCL that
// holds the owner's pid. Node has no flock, so a lock left by a dead process is
// detected by its pid and taken over.
import { open, readFile, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { WalError } from './wal-errors.js';

export const LOCK_FILE_NAME = 'LOCK';

/**
 * Locks this process holds. A LOCK naming our own pid that is not in here was left
 * by an earlier incarnation with the same pid (a container's pid 1 restarting).
 */
const heldByThisProcess = new Set<string>();

export class DirLock {
  private released = false;

  private constructor(readonly path: string) {}

  static async acquire(dir: string): Promise<DirLock> {
    const path = resolve(join(dir, LOCK_FILE_NAME));
    if (heldByThisProcess.has(path)) throw new WalError('WalLocked', `wal: ${dir} is already open in this process`);
    // Claimed before the first await, so a concurrent acquire in this process sees it.
    heldByThisProcess.add(path);
    try {
      await createLockFile(dir, path);
    } catch (error) {
      heldByThisProcess.delete(path);
      throw error;
    }
    return new DirLock(path);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    heldByThisProcess.delete(this.path);
    await unlink(this.path).catch((e: unknown) => {
      if (!isCode(e, 'ENOENT')) throw e;
    });
  }
}

async function createLockFile(dir: string, path: string): Promise<void> {
  // Two attempts: the second only after removing a lock whose owner is gone.
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(`${process.pid}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return;
    } catch (error) {
      if (!isCode(error, 'EEXIST')) throw error;
      const owner = await readOwnerPid(path);
      if (owner !== null && owner !== process.pid && isAlive(owner)) {
        throw new WalError('WalLocked', `wal: ${dir} is locked by process ${owner}`);
      }
      await unlink(path).catch((e: unknown) => {
        if (!isCode(e, 'ENOENT')) throw e;
      });
    }
  }
  throw new WalError('WalLocked', `wal: could not take the lock on ${dir}`);
}

async function readOwnerPid(path: string): Promise<number | null> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch (error) {
    if (isCode(error, 'ENOENT')) return null;
    throw error;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return isCode(error, 'EPERM');
  }
}

export function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}
