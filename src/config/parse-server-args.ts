// Entry point: argv + environment (+ config file) to a ServerConfig, --help, --version or an
// error, following etcd's order of checks. Pure: it never prints or exits; the caller does.
import { readFileSync } from 'node:fs';
import { buildServerConfig, type BuildSource } from './build-server-config.js';
import { parseCommandLine } from './command-line.js';
import { type ReadFile, loadConfigFile } from './config-file.js';
import { applyEnvironment, type Environment } from './environment.js';
import { textOf, boolOf } from './flag-value.js';
import { helpText, USAGE_TEXT } from './help-text.js';
import { type ConfigParseResult } from './server-config.js';
import { versionText } from './version-text.js';

/** Go's flag package exits with 2 on a usage error. */
export const USAGE_ERROR_EXIT_CODE = 2;
/** etcd exits with 1 when it refuses the configuration. */
export const CONFIG_ERROR_EXIT_CODE = 1;

const CONFIG_FILE_VARIABLE = 'ETCD_CONFIG_FILE';

function readUtf8(path: string): string {
  return readFileSync(path, 'utf8');
}

function rejected(message: string): ConfigParseResult {
  return { kind: 'error', message, exitCode: CONFIG_ERROR_EXIT_CODE };
}

function finish(source: BuildSource, warnings: readonly string[]): ConfigParseResult {
  const built = buildServerConfig(source);
  if (!built.ok) return rejected(built.error);
  return { kind: 'run', config: built.config, warnings: [...warnings, ...built.warnings] };
}

function fromConfigFile(path: string, readFile: ReadFile): ConfigParseResult {
  const loaded = loadConfigFile(path, readFile);
  if (loaded.kind === 'error') return rejected(loaded.message);
  const notice = `loaded server configuration, other configuration command line flags and environment variables will be ignored if provided (path: ${path})`;
  return finish({ values: loaded.values, setNames: new Set(), configFile: path }, [notice, ...loaded.warnings]);
}

/**
 * Parses etcd's command line (argv without the program name, e.g. process.argv.slice(2)).
 * Flags may be written -flag or --flag, with =value or a separate value. With --config-file
 * (or ETCD_CONFIG_FILE) the file is the whole configuration. readFile defaults to UTF-8 fs reads.
 */
export function parseServerArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string = readUtf8,
): ConfigParseResult {
  const commandLine = parseCommandLine(argv);
  if (commandLine.kind === 'help') return { kind: 'help', text: helpText() };
  if (commandLine.kind === 'usage-error') {
    return { kind: 'error', message: `${commandLine.line}\n${USAGE_TEXT}\n`, exitCode: USAGE_ERROR_EXIT_CODE };
  }
  const firstPositional = commandLine.positional[0];
  if (firstPositional !== undefined) return rejected(`'${firstPositional}' is not a valid flag`);
  if (boolOf(commandLine.values.get('version'))) return { kind: 'version', text: versionText() };
  const configFile = textOf(commandLine.values.get('config-file')) || (env[CONFIG_FILE_VARIABLE] ?? '');
  if (configFile !== '') return fromConfigFile(configFile, readFile);
  const environment: Environment = env;
  const applied = applyEnvironment(commandLine.values, environment);
  if (applied.kind === 'error') return rejected(applied.message);
  return finish({ values: applied.values, setNames: applied.setNames, configFile: null }, applied.warnings);
}
