// `etcd-ts snapshot restore|status`, etcdutl's interface: restore a snapshot file
// into a new data dir, or print a snapshot's hash, revision, keys and size.
import { restoreSnapshot } from '../snapshot/restore.js';
import { snapshotStatus, type SnapshotStatus } from '../snapshot/status.js';
import { createLogger } from '../log/logger.js';
import { humanizeBytes } from './humanize-bytes.js';

interface ParsedFlags {
  readonly positional: string[];
  readonly values: Map<string, string>;
}

const BOOLEAN_FLAGS = new Set(['skip-hash-check']);
const RESTORE_FLAGS = new Set([
  'data-dir',
  'wal-dir',
  'name',
  'initial-cluster',
  'initial-cluster-token',
  'initial-advertise-peer-urls',
  'skip-hash-check',
]);
const STATUS_FLAGS = new Set(['write-out', 'w']);

function parseFlags(args: readonly string[], known: ReadonlySet<string>): ParsedFlags | string {
  const positional: string[] = [];
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (!arg.startsWith('-')) {
      positional.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    if (!known.has(name)) return `unknown flag: ${arg}`;
    if (eq !== -1) values.set(name, body.slice(eq + 1));
    else if (BOOLEAN_FLAGS.has(name)) values.set(name, 'true');
    else {
      const value = args[i + 1];
      if (value === undefined) return `flag needs an argument: ${arg}`;
      values.set(name, value);
      i++;
    }
  }
  return { positional, values };
}

function formatStatus(status: SnapshotStatus, format: string): string {
  const hash = status.hash.toString(16);
  switch (format) {
    case 'json':
      return JSON.stringify(status);
    case 'simple':
      return `${hash}, ${status.revision}, ${status.totalKey}, ${humanizeBytes(status.totalSize)}`;
    default: {
      const cells = [hash, String(status.revision), String(status.totalKey), humanizeBytes(status.totalSize)];
      const heads = ['HASH', 'REVISION', 'TOTAL KEYS', 'TOTAL SIZE'];
      const widths = heads.map((head, i) => Math.max(head.length, (cells[i] ?? '').length) + 2);
      const line = `+${widths.map((w) => '-'.repeat(w)).join('+')}+`;
      const center = (text: string, w: number): string => {
        const left = Math.floor((w - text.length) / 2);
        return ' '.repeat(left) + text + ' '.repeat(w - text.length - left);
      };
      const row = (texts: string[]): string => `|${texts.map((t, i) => center(t, widths[i] ?? 0)).join('|')}|`;
      return [line, row(heads), line, row(cells), line].join('\n');
    }
  }
}

export async function snapshotCommand(args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'restore') {
    const parsed = parseFlags(rest, RESTORE_FLAGS);
    if (typeof parsed === 'string') return fail(parsed);
    const file = parsed.positional[0];
    if (file === undefined) return fail('snapshot restore requires exactly one argument');
    const name = parsed.values.get('name') ?? 'default';
    const dataDir = parsed.values.get('data-dir') ?? `${name}.etcd`;
    const logger = createLogger({ level: 'info', outputs: ['stderr'] });
    logger.info('restoring snapshot', { path: file, 'data-dir': dataDir });
    const result = await restoreSnapshot({
      snapshotPath: file,
      dataDir,
      walDir: parsed.values.get('wal-dir') ?? null,
      skipHashCheck: parsed.values.get('skip-hash-check') === 'true',
    });
    logger.info('restored snapshot', { path: file, 'data-dir': dataDir, revision: result.revision });
    logger.flush();
    return 0;
  }
  if (sub === 'status') {
    const parsed = parseFlags(rest, STATUS_FLAGS);
    if (typeof parsed === 'string') return fail(parsed);
    const file = parsed.positional[0];
    if (file === undefined) return fail('snapshot status requires exactly one argument');
    const format = parsed.values.get('write-out') ?? parsed.values.get('w') ?? 'simple';
    process.stdout.write(`${formatStatus(await snapshotStatus(file), format)}\n`);
    return 0;
  }
  return fail('usage: etcd-ts snapshot restore <file> [--data-dir DIR ...] | snapshot status <file> [-w simple|json|table]');
}

function fail(message: string): number {
  process.stderr.write(`Error: ${message}\n`);
  return 1;
}
