// `npm run bench:scale`: starts etcd-ts (and with --server etcd or both, Debian's etcd) on
// free loopback ports with a fresh data dir and runs the bounded scale scenarios (a large
// range, a flood of unread unary calls, a stalled watcher), printing server RSS (baseline,
// peak, after), durations and errors; exits 1 if a bound is broken.
// Usage: node dist/bench/scale-check.js [--server etcd-ts|etcd|both] [--scenarios range,flood,watch]
//   [--keys 100000] [--value-bytes 256] [--range-rounds 2] [--flood-connections 4] [--flood-s 20]
//   [--recover-s 10] [--flood-range-limit 100] [--flood-streams-max 25000] [--watch-events 50000]
import { parseArgs } from 'node:util';
import { DEFAULT_LIMITS, floodViolations, rangeViolations, watchViolations } from './scale-bounds.js';
import { floodScenario, type FloodOptions } from './scale-flood.js';
import { hostLoad, ServerMemory } from './scale-memory.js';
import { rangeScenario, type RangeOptions } from './scale-range.js';
import { slowWatchScenario, type WatchOptions } from './scale-watch.js';
import { defaultBinaries, ServerProcess, stopAllServers, type ServerKind } from './server-process.js';

/** Caps on the flags, so a typo cannot fill the machine. */
const KEYS_MAX = 10_000_000;
const SECONDS_MAX = 3600;
const CONNECTIONS_MAX = 1000;
const SCENARIOS = ['range', 'flood', 'watch'] as const;
type Scenario = (typeof SCENARIOS)[number];

interface ScaleArgs {
  readonly servers: readonly ServerKind[];
  readonly scenarios: readonly Scenario[];
  readonly range: RangeOptions;
  readonly flood: FloodOptions;
  readonly watch: WatchOptions;
  readonly etcdBin: string | undefined;
}

function parse(argv: readonly string[]): ScaleArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: Object.fromEntries(['server', 'scenarios', 'keys', 'value-bytes', 'range-rounds', 'flood-connections', 'flood-s', 'recover-s',
      'flood-range-limit', 'flood-streams-max', 'watch-events', 'etcd-bin'].map((name) => [name, { type: 'string' as const }])),
  });
  const num = (name: string, fallback: number, max: number): number => {
    const raw = values[name];
    const value = typeof raw === 'string' ? Number(raw) : fallback;
    if (!Number.isInteger(value) || value <= 0 || value > max) throw new Error(`--${name} must be an integer in 1..${max}`);
    return value;
  };
  const server = String(values['server'] ?? 'etcd-ts');
  const servers: ServerKind[] = server === 'both' ? ['etcd', 'etcd-ts'] : server === 'etcd' || server === 'etcd-ts' ? [server] : [];
  if (servers.length === 0) throw new Error('--server must be etcd-ts, etcd or both');
  const scenarios = String(values['scenarios'] ?? SCENARIOS.join(',')).split(',');
  const unknown = scenarios.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.join(', ')}`);
  const keys = num('keys', 100_000, KEYS_MAX);
  return {
    servers, scenarios: scenarios as Scenario[], etcdBin: typeof values['etcd-bin'] === 'string' ? values['etcd-bin'] : undefined,
    range: { keys, valueBytes: num('value-bytes', 256, 1024 * 1024), rounds: num('range-rounds', 2, 100) },
    flood: {
      connections: num('flood-connections', 4, CONNECTIONS_MAX), durationS: num('flood-s', 20, SECONDS_MAX), recoverS: num('recover-s', 10, SECONDS_MAX),
      rangeLimit: num('flood-range-limit', 100, KEYS_MAX), streamsPerConnectionMax: num('flood-streams-max', 25_000, 10_000_000),
    },
    watch: { events: num('watch-events', 50_000, KEYS_MAX), valueBytes: num('value-bytes', 256, 1024 * 1024) },
  };
}

const mb = (value: number): string => `${value.toFixed(0)} MB`;

async function runOn(kind: ServerKind, args: ScaleArgs): Promise<string[]> {
  const bins = defaultBinaries();
  const server = await ServerProcess.start(kind, args.etcdBin === undefined ? bins : { ...bins, etcd: args.etcdBin });
  const memory = new ServerMemory(server.pid);
  const broken: string[] = [];
  try {
    console.log(`\n== ${kind} (pid ${server.pid}) at ${server.endpoint}; idle RSS ${mb(memory.rssMb())}; load ${hostLoad()}`);
    if (args.scenarios.includes('range') || args.scenarios.includes('flood')) {
      const range = await rangeScenario(server.endpoint, memory, args.range);
      console.log(`load: ${args.range.keys} keys x ${args.range.valueBytes} B in ${(range.loadMs / 1000).toFixed(1)} s, ${range.loadErrors} failed txns; RSS ${mb(memory.rssMb())}`);
      for (const [i, r] of range.full.entries()) {
        console.log(`range ${i + 1}${i === 0 && range.full.length > 1 ? ' (cold, not bounded)' : ''} (limit ${args.range.keys}): reply ${r.replyMb.toFixed(1)} MB in ${r.ms.toFixed(0)} ms; RSS base ${mb(r.baseMb)}, peak +${r.peakGrowthMb.toFixed(1)} MB = x${r.ratio.toFixed(2)} the reply; load ${hostLoad()}`);
      }
      const p = range.paged;
      console.log(`paged (limit 1000): ${p.keys} keys in ${p.pages} pages, ${(p.ms / 1000).toFixed(2)} s, peak +${p.peakGrowthMb.toFixed(1)} MB`);
      if (args.scenarios.includes('range')) broken.push(...rangeViolations(range, args.range.keys, DEFAULT_LIMITS));
    }
    if (args.scenarios.includes('watch')) {
      const w = await slowWatchScenario(server.endpoint, memory, args.watch);
      console.log(`slow watcher: ${args.watch.events} events written in ${(w.writeMs / 1000).toFixed(1)} s (${w.writeErrors} failed txns), reader got ${w.delivered} in ${(w.deliveryMs / 1000).toFixed(1)} s; RSS base ${mb(w.baseMb)}, peak ${mb(w.peakMb)}, after ${mb(w.afterMb)}; stalled stream ${w.slowStreamOpen ? 'still open' : 'closed by the server'}; load ${hostLoad()}`);
      broken.push(...watchViolations(w, args.watch.events, DEFAULT_LIMITS));
    }
    if (args.scenarios.includes('flood')) {
      const f = await floodScenario(server.endpoint, memory, args.flood);
      const points = f.checkpoints.map((c) => `${c.atS.toFixed(0)} s ${mb(c.rssMb)}`).join(', ');
      console.log(`flood (${args.flood.connections} conns x ${args.flood.durationS} s, range limit ${args.flood.rangeLimit}): RSS base ${mb(f.baseMb)}; ${points}; peak ${mb(f.peakMb)}; ${mb(f.afterMb)} ${args.flood.recoverS} s after (peak then ${mb(f.peakAfterMb)})`);
      console.log(`  streams opened ${f.opened}, answered ${f.answered}, refused ${f.refused}, reset ${f.reset}, sessions lost ${f.sessionsLost}; polite: ${f.politeCalls} calls, ${f.politeErrors} errors, p50 ${f.politeP50Ms.toFixed(1)} ms, p99 ${f.politeP99Ms.toFixed(1)} ms, max ${f.politeMaxMs.toFixed(0)} ms; after: ${f.politeAfterOk ? 'ok' : 'FAILED'}; load ${hostLoad()}`);
      broken.push(...floodViolations(f, DEFAULT_LIMITS));
    }
  } finally {
    await server.stop();
  }
  return broken.map((line) => `${kind}: ${line}`);
}

async function main(): Promise<number> {
  let args: ScaleArgs;
  try {
    args = parse(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
  const broken: string[] = [];
  for (const kind of args.servers) broken.push(...(await runOn(kind, args)));
  console.log(broken.length === 0 ? '\nall bounds held' : `\nbounds broken:\n  ${broken.join('\n  ')}`);
  return broken.length === 0 ? 0 : 1;
}

process.once('SIGINT', () => void stopAllServers().then(() => process.exit(130)));
// A client callback that throws must not leave a server running behind the check.
process.once('uncaughtException', (error) => {
  console.error(error);
  void stopAllServers().then(() => process.exit(1));
});
main().then((code) => process.exit(code), async (error: unknown) => {
  console.error(error);
  await stopAllServers();
  process.exit(1);
});
