// Reads argv with the rules of Go's flag package as etcd uses it: -flag and --flag, =value or
// a separate value, bare booleans, stop at the first non-flag, and Go's exact error lines.
import { findFlag } from './flag-definitions.js';
import { type FlagValue, parseFlagText } from './flag-value.js';
import { goQuote } from './go-values.js';

export type CommandLineResult =
  | { readonly kind: 'parsed'; readonly values: ReadonlyMap<string, FlagValue>; readonly positional: readonly string[] }
  | { readonly kind: 'help' }
  /** A usage error: the line Go's flag package prints before the usage. */
  | { readonly kind: 'usage-error'; readonly line: string };

type StepResult =
  | { readonly kind: 'flag'; readonly name: string; readonly value: FlagValue; readonly consumed: number }
  | { readonly kind: 'stop'; readonly consumed: number }
  | { readonly kind: 'help' }
  | { readonly kind: 'usage-error'; readonly line: string };

// One flag at args[0] (and its value at args[1] when it takes one).
function parseOne(args: readonly string[]): StepResult {
  const arg = args[0] ?? '';
  if (arg.length < 2 || arg[0] !== '-') return { kind: 'stop', consumed: 0 };
  const dashes = arg[1] === '-' ? 2 : 1;
  if (dashes === 2 && arg.length === 2) return { kind: 'stop', consumed: 1 };
  const body = arg.slice(dashes);
  if (body.length === 0 || body[0] === '-' || body[0] === '=') return { kind: 'usage-error', line: `bad flag syntax: ${arg}` };
  const equals = body.indexOf('=');
  const name = equals < 0 ? body : body.slice(0, equals);
  const inlineValue = equals < 0 ? undefined : body.slice(equals + 1);
  const def = findFlag(name);
  if (def === undefined) {
    if (name === 'help' || name === 'h') return { kind: 'help' };
    return { kind: 'usage-error', line: `flag provided but not defined: -${name}` };
  }
  if (def.type.kind === 'bool') {
    const parsed = parseFlagText(def.type, inlineValue ?? 'true');
    if (!parsed.ok) return { kind: 'usage-error', line: `invalid boolean value ${goQuote(inlineValue ?? '')} for -${name}: ${parsed.error}` };
    return { kind: 'flag', name, value: parsed.value, consumed: 1 };
  }
  let text = inlineValue;
  let consumed = 1;
  if (text === undefined) {
    // Like Go, the next argument is the value even when it starts with '-'.
    if (args.length < 2) return { kind: 'usage-error', line: `flag needs an argument: -${name}` };
    text = args[1] ?? '';
    consumed = 2;
  }
  const parsed = parseFlagText(def.type, text);
  if (!parsed.ok) return { kind: 'usage-error', line: `invalid value ${goQuote(text)} for flag -${name}: ${parsed.error}` };
  return { kind: 'flag', name, value: parsed.value, consumed };
}

/** flag.FlagSet.Parse over argv (without the program name). Later flags win over earlier ones. */
export function parseCommandLine(argv: readonly string[]): CommandLineResult {
  const values = new Map<string, FlagValue>();
  let rest = argv;
  for (;;) {
    const step = parseOne(rest);
    switch (step.kind) {
      case 'help':
      case 'usage-error':
        return step;
      case 'stop':
        return { kind: 'parsed', values, positional: rest.slice(step.consumed) };
      case 'flag':
        values.set(step.name, step.value);
        rest = rest.slice(step.consumed);
    }
  }
}
