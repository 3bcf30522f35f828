// Shared helpers for the configuration tests: run the parser and insist on the outcome kind.
import assert from 'node:assert/strict';
import { parseServerArgs, type ConfigParseResult, type ServerConfig } from '../../src/config/index.js';

export type Env = Record<string, string | undefined>;

export function run(argv: readonly string[], env: Env = {}, files: Record<string, string> = {}): { config: ServerConfig; warnings: string[] } {
  const result = parseServerArgs(argv, env, fileReader(files));
  if (result.kind !== 'run') assert.fail(`expected a runnable config, got ${JSON.stringify(result)}`);
  return { config: result.config, warnings: result.warnings };
}

export function failure(argv: readonly string[], env: Env = {}, files: Record<string, string> = {}): { message: string; exitCode: number } {
  const result: ConfigParseResult = parseServerArgs(argv, env, fileReader(files));
  if (result.kind !== 'error') assert.fail(`expected an error, got ${JSON.stringify(result)}`);
  return { message: result.message, exitCode: result.exitCode };
}

/** A fake file system: a missing path fails the way fs.readFileSync does. */
export function fileReader(files: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return text;
  };
}

export function hrefs(urls: readonly URL[]): string[] {
  return urls.map((url) => url.href);
}
