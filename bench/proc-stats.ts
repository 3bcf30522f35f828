// Reads a server's CPU time and memory from /proc, summed over the process and its
// descendants so a launcher script that forks the real server is still measured.
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second for utime/stime; 100 on every Linux we run on (getconf CLK_TCK). */
const CLOCK_TICKS_PER_S = 100;
/** Bound on the process tree walk. */
const PROCESS_TREE_MAX = 64;

export interface ProcSample {
  cpuS: number;
  rssBytes: number;
  /** Peak resident set (VmHWM) of each process, summed. */
  peakRssBytes: number;
  /** The resident set's anonymous (heap, stacks) and file-backed (mapped files, the binary) parts. */
  rssAnonBytes: number;
  rssFileBytes: number;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** utime + stime of one process in seconds; the comm field may contain spaces, so parse after ')'. */
function cpuSecondsOf(pid: number): number {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return 0;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after comm start at field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime + stime) ? (utime + stime) / CLOCK_TICKS_PER_S : 0;
}

function statusKb(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match?.[1] ? Number(match[1]) : 0;
}

function childrenOf(pid: number): number[] {
  const tasks = readText(`/proc/${pid}/task/${pid}/children`);
  return tasks ? tasks.split(' ').filter((s) => s !== '').map(Number) : [];
}

export function processTree(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0 && out.length < PROCESS_TREE_MAX) {
    const next = queue.shift();
    if (next === undefined) break;
    out.push(next);
    queue.push(...childrenOf(next));
  }
  return out;
}

export function sampleProcess(pid: number): ProcSample {
  let cpuS = 0;
  let rssKb = 0;
  let peakKb = 0;
  let anonKb = 0;
  let fileKb = 0;
  for (const p of processTree(pid)) {
    cpuS += cpuSecondsOf(p);
    const status = readText(`/proc/${p}/status`) ?? '';
    rssKb += statusKb(status, 'VmRSS');
    peakKb += statusKb(status, 'VmHWM');
    anonKb += statusKb(status, 'RssAnon');
    fileKb += statusKb(status, 'RssFile');
  }
  return { cpuS, rssBytes: rssKb * 1024, peakRssBytes: peakKb * 1024, rssAnonBytes: anonKb * 1024, rssFileBytes: fileKb * 1024 };
}
