// Fills flags not given on the command line from ETCD_* variables, with etcd's rules: a
// variable for a flag also given on the command line is fatal, unknown ETCD_* ones warn.
import { FLAG_DEFINITIONS } from './flag-definitions.js';
import { type FlagValue, parseFlagText } from './flag-value.js';
import { goQuote } from './go-values.js';

export type Environment = Readonly<Record<string, string | undefined>>;

export type EnvironmentResult =
  | {
      readonly kind: 'applied';
      readonly values: ReadonlyMap<string, FlagValue>;
      /** Flags set on the command line or by a variable (etcd's "is set"). */
      readonly setNames: ReadonlySet<string>;
      readonly warnings: readonly string[];
    }
  | { readonly kind: 'error'; readonly message: string };

// etcd removes ETCD_VERSION before reading variables, so it can never turn on --version.
const SPECIAL_VARIABLE = 'ETCD_VERSION';

function byName(a: { readonly name: string }, b: { readonly name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** flags.SetFlagsFromEnv: command-line values win; the variables fill the rest. */
export function applyEnvironment(commandLine: ReadonlyMap<string, FlagValue>, env: Environment): EnvironmentResult {
  const values = new Map(commandLine);
  const setNames = new Set(commandLine.keys());
  const warnings: string[] = [];
  const special = env[SPECIAL_VARIABLE];
  if (special !== undefined && special !== '') warnings.push(`cannot set special environment variable ${SPECIAL_VARIABLE}=${special}`);
  const shadowed = new Set<string>();
  const used = new Set<string>();
  let lastError: string | undefined;
  // Go visits flags in name order and keeps the last failure, so the order is part of the behaviour.
  for (const def of [...FLAG_DEFINITIONS].sort(byName)) {
    if (def.envName === null) continue;
    if (commandLine.has(def.name)) {
      shadowed.add(def.envName);
      continue;
    }
    const text = env[def.envName];
    if (text === undefined || text === '') continue;
    used.add(def.envName);
    const parsed = parseFlagText(def.type, text);
    if (!parsed.ok) {
      lastError = `invalid value ${goQuote(text)} for ${def.envName}: ${parsed.error}`;
      continue;
    }
    values.set(def.name, parsed.value);
    setNames.add(def.name);
  }
  for (const [key, text] of Object.entries(env)) {
    if (text === undefined || key === SPECIAL_VARIABLE || used.has(key)) continue;
    if (shadowed.has(key)) {
      return {
        kind: 'error',
        message: `conflicting environment variable ${goQuote(key)} is shadowed by corresponding command-line flag (either unset environment variable or disable flag)`,
      };
    }
    if (key.startsWith('ETCD_')) warnings.push(`unrecognized environment variable ${key}=${text}`);
  }
  if (lastError !== undefined) return { kind: 'error', message: lastError };
  return { kind: 'applied', values, setNames, warnings };
}
