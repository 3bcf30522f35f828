// The numeric `--name value` flags of the stand-alone bench scripts (restart-time,
// lease-scale, auth-compare, write-path); main.ts parses its own with parseArgs.

export interface NumberFlagRule {
  /** Whole numbers only. */
  readonly integer?: boolean;
  /** The largest value accepted (bounds a script's loops). */
  readonly max?: number;
}

/** The positive number after `--name` in process.argv, or `fallback` when absent. */
export function numberFlag(name: string, fallback: number, rule: NumberFlagRule = {}): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback;
  const max = rule.max ?? Number.MAX_SAFE_INTEGER;
  const kind = rule.integer === true ? 'a positive integer' : 'positive';
  if (!Number.isFinite(value) || value <= 0 || value > max || (rule.integer === true && !Number.isInteger(value))) {
    throw new Error(`--${name} must be ${kind}${rule.max === undefined ? '' : ` up to ${rule.max}`}`);
  }
  return value;
}
