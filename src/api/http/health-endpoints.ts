// /health (etcd's JSON verdict), /livez and /readyz (etcd 3.5's named checks) and
// /version, all on the client port and the metrics port.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ETCD_CLUSTER_VERSION, ETCD_COMPAT_VERSION } from '../../version.js';
import { replyJson } from './http-replies.js';

/** etcd waits its request timeout (5 s + 2 election timeouts by default) for the health read. */
export const HEALTH_READ_TIMEOUT_MS = 7_000;

/** What the health checks ask of the member; declared here, implemented over EtcdServer. */
export interface HealthSource {
  /** Names of active alarms ('NOSPACE', 'CORRUPT'). */
  activeAlarms(): Promise<string[]>;
  hasLeader(): Promise<boolean>;
  /** A one-key read; rejects when it fails. */
  read(serializable: boolean): Promise<void>;
}

interface Verdict {
  readonly health: 'true' | 'false';
  readonly reason: string;
}

async function readWithin(source: HealthSource, serializable: boolean): Promise<string | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve('context deadline exceeded'), HEALTH_READ_TIMEOUT_MS);
  });
  const read = source.read(serializable).then(
    () => null,
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** etcd's checkHealth: alarms first (unless excluded), then the leader, then a read. */
async function checkHealth(source: HealthSource, url: URL): Promise<Verdict> {
  const excluded = new Set(url.searchParams.getAll('exclude'));
  const alarm = (await source.activeAlarms()).find((name) => !excluded.has(name));
  if (alarm !== undefined) {
    return { health: 'false', reason: alarm === 'NOSPACE' || alarm === 'CORRUPT' ? `ALARM ${alarm}` : 'ALARM UNKNOWN' };
  }
  if (!(await source.hasLeader())) return { health: 'false', reason: 'RAFT NO LEADER' };
  const failure = await readWithin(source, url.searchParams.get('serializable') === 'true');
  if (failure !== null) return { health: 'false', reason: `QGET ERROR:${failure}` };
  return { health: 'true', reason: '' };
}

export async function serveHealth(source: HealthSource, url: URL, response: ServerResponse): Promise<void> {
  const verdict = await checkHealth(source, url);
  replyJson(response, verdict.health === 'true' ? 200 : 503, verdict, 'text/plain; charset=utf-8');
}

interface NamedCheck {
  readonly name: string;
  run(source: HealthSource): Promise<string | null>;
}

const DATA_CORRUPTION: NamedCheck = {
  name: 'data_corruption',
  run: async (source) => ((await source.activeAlarms()).includes('CORRUPT') ? 'Alarm active:CORRUPT' : null),
};
const SERIALIZABLE_READ: NamedCheck = { name: 'serializable_read', run: (source) => readWithin(source, true) };
const LINEARIZABLE_READ: NamedCheck = { name: 'linearizable_read', run: (source) => readWithin(source, false) };

export const LIVEZ_CHECKS: readonly NamedCheck[] = [SERIALIZABLE_READ];
export const READYZ_CHECKS: readonly NamedCheck[] = [DATA_CORRUPTION, SERIALIZABLE_READ, LINEARIZABLE_READ];

/** The k8s-style probe: "ok", or with ?verbose one [+]/[-] line per check. */
export async function serveProbe(
  path: 'livez' | 'readyz',
  checks: readonly NamedCheck[],
  source: HealthSource,
  url: URL,
  response: ServerResponse,
): Promise<void> {
  const excluded = new Set(url.searchParams.getAll('exclude'));
  const verbose = url.searchParams.has('verbose');
  let lines = '';
  let failed = false;
  for (const check of checks) {
    if (excluded.has(check.name)) {
      lines += `[+]${check.name} excluded: ok\n`;
      continue;
    }
    const failure = await check.run(source);
    failed ||= failure !== null;
    lines += failure === null ? `[+]${check.name} ok\n` : `[-]${check.name} failed: ${failure}\n`;
  }
  response.setHeader('Content-Type', 'text/plain; charset=utf-8');
  response.setHeader('X-Content-Type-Options', 'nosniff');
  if (failed) {
    response.statusCode = 503;
    response.end(`${lines}${path} check failed\n`);
  } else if (verbose) response.end(`${lines}${path} check passed\n`);
  else response.end('ok');
}

export function serveVersion(_request: IncomingMessage, response: ServerResponse): void {
  replyJson(response, 200, { etcdserver: ETCD_COMPAT_VERSION, etcdcluster: ETCD_CLUSTER_VERSION });
}
