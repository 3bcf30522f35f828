// The --help and usage texts, generated from the flag registry so every accepted flag is
// listed with its default, grouped as etcd groups them. The wording is etcd-ts's own.
import { FLAG_DEFINITIONS, type FlagGroup } from './flag-definitions.js';
import { ETCD_API_VERSION } from '../version.js';

/** The short synopsis printed after a usage error and at the top of --help. */
export const USAGE_TEXT = `Usage:

  etcd [flags]
    Run an etcd-ts server (an etcd v${ETCD_API_VERSION}-compatible server written in TypeScript).

  etcd --version
    Print the etcd version this server is compatible with, and its own version.

  etcd -h | --help
    Print this help: every accepted flag with its default.

  etcd --config-file <path>
    Read the whole configuration from a YAML file (etcd's keys). Command-line flags and
    ETCD_* environment variables are then not used.
`;

const GROUP_TITLES: readonly (readonly [FlagGroup, string])[] = [
  ['member', 'Member'],
  ['clustering', 'Clustering'],
  ['security', 'Security'],
  ['logging', 'Logging'],
  ['experimental', 'Experimental'],
  ['general', 'Other'],
];

const ENVIRONMENT_NOTE = `Environment:
  Every flag above but --version can also be given as ETCD_<FLAG_NAME_IN_UPPER_SNAKE_CASE>,
  for example ETCD_DATA_DIR for --data-dir. A flag on the command line must not also be set
  that way. Unknown ETCD_* variables are reported as warnings.
`;

function groupSection(group: FlagGroup, title: string): string {
  const lines = [`${title}:`];
  for (const def of FLAG_DEFINITIONS) {
    if (def.group !== group) continue;
    lines.push(`  --${def.name} '${def.helpDefault ?? def.defaultText}'`, `    ${def.help}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Full --help text: usage, then the flags by group, then the environment rule. */
export function helpText(): string {
  const sections = GROUP_TITLES.map(([group, title]) => groupSection(group, title));
  return [USAGE_TEXT, ...sections, ENVIRONMENT_NOTE].join('\n');
}
