// The etcd-ts executable: parse etcd's flags, start the member and its client
// listener, and stop gracefully on SIGTERM/SIGINT (abruptly on a second signal).
import { parseServerArgs } from '../config/parse-server-args.js';
import { CONFIG_ERROR_LOG_MESSAGE } from '../config/server-config.js';
import { ClientServer } from '../api/grpc/client-server.js';
import { createLogger, type Logger } from '../log/logger.js';
import { EtcdServer } from '../server/etcd-server.js';
import { loadMemberTls } from '../tls/member-tls.js';
import { ETCD_COMPAT_VERSION, ETCD_TS_VERSION } from '../version.js';
import { keepHeapHeadroom } from './heap-headroom.js';
import { logOutputTargets, serverOptionsFromConfig } from './server-options-from-config.js';
import { snapshotCommand } from './snapshot-command.js';

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === 'snapshot') return runSnapshotCommand(argv.slice(1));
  const parsed = parseServerArgs(argv, process.env);
  switch (parsed.kind) {
    case 'help':
      process.stdout.write(parsed.text.endsWith('\n') ? parsed.text : `${parsed.text}\n`);
      return 0;
    case 'version':
      process.stdout.write(parsed.text.endsWith('\n') ? parsed.text : `${parsed.text}\n`);
      return 0;
    case 'error':
      if (parsed.exitCode === 1) {
        // A rejected configuration is logged like etcd does, as a structured line.
        const logger = createLogger({ level: 'info', outputs: ['stderr'] });
        logger.warn(CONFIG_ERROR_LOG_MESSAGE, { error: parsed.message });
        logger.flush();
      } else {
        process.stderr.write(parsed.message.endsWith('\n') ? parsed.message : `${parsed.message}\n`);
      }
      return parsed.exitCode;
    case 'run':
      break;
  }
  const config = parsed.config;
  keepHeapHeadroom();
  const logger = createLogger({ level: config.logLevel, outputs: logOutputTargets(config.logOutputs) });
  for (const warning of parsed.warnings) logger.warn(warning);
  logger.info('starting etcd-ts', {
    'etcd-version': ETCD_COMPAT_VERSION,
    'etcd-ts-version': ETCD_TS_VERSION,
    'node-version': process.version,
    name: config.name,
    'data-dir': config.dataDir,
  });
  const tls = await loadMemberTls({
    flags: config.tls, dataDir: config.dataDir, listenClientUrls: config.listenClientUrls, listenPeerUrls: config.listenPeerUrls, logger,
  });
  const options = { ...serverOptionsFromConfig(config, logger), tls };
  const server = await EtcdServer.start(options);
  const clients = await ClientServer.listen(server, options.listenClientUrls, logger, {
    metricsUrls: config.listenMetricsUrls,
    maxConcurrentStreams: config.maxConcurrentStreams,
    tls: tls.client,
    // etcd verifies client certificates when either flag is set, and then a verified certificate's CN names the user.
    clientCertAuth: config.tls.client.clientCertAuth || config.tls.client.trustedCaFile !== '',
  });
  // As etcd: a member serves once its name and client URLs are in the cluster's member list.
  await server.publishAttributesWithRetry();
  logger.info('ready to serve client requests', { 'member-id': server.memberId.toString(16) });
  await waitForStopSignal(logger, server, clients);
  return 0;
}

async function runSnapshotCommand(args: readonly string[]): Promise<number> {
  try {
    return await snapshotCommand(args);
  } catch (error) {
    process.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

function waitForStopSignal(logger: Logger, server: EtcdServer, clients: ClientServer): Promise<void> {
  return new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn('received second signal; stopping at once', { signal });
        clients.destroy();
        logger.flush();
        process.exit(1);
      }
      stopping = true;
      logger.info('received signal; shutting down', { signal });
      clients
        .close()
        .then(() => server.close())
        .then(() => {
          logger.info('stopped serving');
          logger.flush();
          resolve();
        })
        .catch((error: unknown) => {
          logger.error('error while stopping', { error: String(error) });
          logger.flush();
          process.exit(1);
        });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // A member removed from the cluster stops itself, as etcd's does.
    server.onRemoved(() => onSignal('SIGTERM'));
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Operating errors (bad data dir, bad cluster flags) are reported by their message; anything else is a bug with a stack.
    const expected =
      error instanceof Error &&
      ['BootstrapError', 'TlsSetupError', 'BackendFileError', 'WalCorruptError', 'BboltFormatError', 'EtcdSnapshotError', 'SnapshotFileError', 'CorruptionError'].includes(error.name);
    const message = error instanceof Error ? (expected ? error.message : (error.stack ?? error.message)) : String(error);
    // etcd reports a failed initial corruption check as it does any start-up failure of its server: "discovery failed".
    const msg = error instanceof Error && error.name === 'CorruptionError' ? 'discovery failed' : 'failed to start';
    process.stderr.write(`{"level":"fatal","ts":"${new Date().toISOString()}","msg":"${msg}","error":${JSON.stringify(message)}}\n`);
    process.exit(1);
  },
);
