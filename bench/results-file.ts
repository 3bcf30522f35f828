// Writes a results document as JSON: to the path the user named, or to a timestamped file
// under the git-ignored bench-results/ folder of the current directory.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const RESULTS_DIR = 'bench-results';

/** Context that makes a number interpretable later: how busy the machine was, and where. */
export function hostInfo(): Record<string, unknown> {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', loadavg: loadavg(), node: process.version };
}

const jsonReplacer = (_key: string, value: unknown): unknown => (typeof value === 'bigint' ? value.toString() : value);

export function writeResults(command: string, doc: unknown, path: string | undefined): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const target = resolve(path ?? join(RESULTS_DIR, `${command}-${stamp}.json`));
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, JSON.stringify(doc, jsonReplacer, 2) + '\n');
  return target;
}
