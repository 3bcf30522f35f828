// The bench command line: "list" the specs, "run" one spec against endpoints or a server it
// starts, or "compare" etcd and etcd-ts side by side. See USAGE in cli-args.ts.
import { clusterCommand } from './cluster-command.js';
import { compare } from './compare.js';
import { parseCommand, USAGE, UsageError, type Command } from './cli-args.js';
import { runLoad } from './load-runner.js';
import { formatRun, formatSummary } from './report-table.js';
import { hostInfo, writeResults } from './results-file.js';
import { defaultBinaries, ServerProcess, stopAllServers, type ServerBinaries } from './server-process.js';
import { describeOperation, SPECS } from './spec-table.js';

const log = (line: string): void => void process.stderr.write(line + '\n');

function binaries(c: { etcdBin: string | undefined; etcdTsBin: string | undefined }): ServerBinaries {
  const d = defaultBinaries();
  return { etcd: c.etcdBin ?? d.etcd, etcdTs: c.etcdTsBin ?? d.etcdTs };
}

function listSpecs(): void {
  for (const s of SPECS) {
    console.log(`${s.name.padEnd(18)} ${describeOperation(s.operation)}; clients ${s.clients}, conns ${s.conns}, value ${s.valueBytes} B, key space ${s.keySpace}`);
    console.log(`${''.padEnd(18)} ${s.summary}`);
  }
}

async function runCommand(c: Extract<Command, { kind: 'run' }>): Promise<void> {
  const server = c.server === undefined ? undefined : await ServerProcess.start(c.server, binaries(c));
  try {
    const endpoints = server ? [server.endpoint] : c.endpoints;
    const result = await runLoad({ ...c, endpoints, serverPid: server?.pid });
    console.log(formatRun(result));
    const path = writeResults('run', { command: 'run', startedBy: c.server ?? 'external', host: hostInfo(), result }, c.json);
    console.log(`results: ${path}`);
  } finally {
    await server?.stop();
  }
}

async function compareCommand(c: Extract<Command, { kind: 'compare' }>): Promise<void> {
  const startedAt = new Date().toISOString();
  const outcome = await compare({ ...c, binaries: binaries(c), log });
  for (const s of outcome.summaries) console.log('\n' + formatSummary(s));
  const options = { specs: c.specs, servers: c.servers, rounds: c.rounds, durationS: c.durationS, total: c.total, warmupS: c.warmupS, ratePerS: c.ratePerS };
  const path = writeResults('compare', { command: 'compare', startedAt, host: hostInfo(), options, ...outcome }, c.json);
  console.log(`\nresults: ${path}`);
  if (outcome.rounds.some((r) => r.error)) process.exitCode = 1;
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === 'cluster') return clusterCommand(argv.slice(1), log);
  const command = parseCommand(argv);
  switch (command.kind) {
    case 'help':
      console.log(USAGE);
      return;
    case 'list':
      listSpecs();
      return;
    case 'run':
      return runCommand(command);
    case 'compare':
      return compareCommand(command);
  }
}

// An interrupted bench must not leave servers running behind it.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopAllServers().finally(() => process.exit(130)));
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof UsageError) log(`${err.message}\n${USAGE}`);
  else log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = process.exitCode || 2;
  return stopAllServers();
});
