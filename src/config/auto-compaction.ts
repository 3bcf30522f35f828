// --auto-compaction-mode and --auto-compaction-retention into a typed policy, read the way
// etcd reads them: a bare integer is hours (periodic) or revisions (revision), else a duration.
import { nanosecondsToMs, parseGoDuration } from './go-values.js';
import { type AutoCompaction, COMPACTION_RETENTION_UNIT_MS } from './server-config.js';

export type AutoCompactionResult =
  | { readonly ok: true; readonly policy: AutoCompaction | null; readonly warning?: string }
  | { readonly ok: false; readonly error: string };

// Go's strconv.Atoi on a 64-bit platform: optional sign and decimal digits.
const DECIMAL_INTEGER = /^[+-]?[0-9]+$/;
const INT64_MAX = (1n << 63n) - 1n;

function wholeNumber(text: string): bigint | undefined {
  if (!DECIMAL_INTEGER.test(text)) return undefined;
  const value = BigInt(text);
  return value >= 0n && value <= INT64_MAX ? value : undefined;
}

/** An empty mode (possible from a config file) turns compaction off unless a duration forces etcd's mode error. */
export function parseAutoCompaction(mode: string, retentionText: string): AutoCompactionResult {
  const retention = retentionText === '' ? '0' : retentionText;
  const count = wholeNumber(retention);
  if (count !== undefined) {
    if (count === 0n) return { ok: true, policy: null };
    if (mode === 'revision') return { ok: true, policy: { mode: 'revision', retentionRevisions: Number(count) } };
    if (mode === 'periodic') return { ok: true, policy: { mode: 'periodic', retentionMs: Number(count) * COMPACTION_RETENTION_UNIT_MS } };
    return { ok: true, policy: null };
  }
  const duration = parseGoDuration(retention);
  if (!duration.ok) return { ok: false, error: `error parsing CompactionRetention: ${duration.error}` };
  if (duration.value === 0n) return { ok: true, policy: null };
  if (duration.value < 0n) return { ok: false, error: `error parsing CompactionRetention: negative retention ${retention}` };
  if (mode === 'periodic') return { ok: true, policy: { mode: 'periodic', retentionMs: nanosecondsToMs(duration.value) } };
  if (mode === 'revision') {
    // etcd takes the duration's nanoseconds as a revision count; keep that, but say so.
    return {
      ok: true,
      policy: { mode: 'revision', retentionRevisions: Number(duration.value) },
      warning: `auto-compaction-retention ${JSON.stringify(retention)} is a duration but the mode is revision; like etcd, its nanoseconds (${duration.value}) are used as the number of revisions to keep`,
    };
  }
  return { ok: false, error: `unsupported compaction mode ${mode}` };
}
