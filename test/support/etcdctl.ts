// Runs the system etcdctl (v3 API) against one endpoint, as a user at a shell would.
import { runCommand, type CommandResult } from './run-command.js';

export const ETCDCTL_BINARY = '/usr/bin/etcdctl';

export interface EtcdctlOptions {
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export function etcdctl(endpoint: string, args: string[], options: EtcdctlOptions = {}): Promise<CommandResult> {
  return runCommand(ETCDCTL_BINARY, [`--endpoints=${endpoint}`, ...args], {
    input: options.input,
    env: { ETCDCTL_API: '3', ...(options.env ?? {}) },
    timeoutMs: options.timeoutMs,
  });
}

/** etcdctl that must succeed; returns its stdout, and fails with its stderr otherwise. */
export async function etcdctlOk(endpoint: string, args: string[], options: EtcdctlOptions = {}): Promise<string> {
  const result = await etcdctl(endpoint, args, options);
  if (result.code !== 0) {
    throw new Error(`etcdctl ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

/** etcdctl -w json, parsed. */
export async function etcdctlJson(endpoint: string, args: string[], options: EtcdctlOptions = {}): Promise<unknown> {
  const stdout = await etcdctlOk(endpoint, ['-w', 'json', ...args], options);
  return JSON.parse(stdout);
}
