// The tiny key-value state machine every simulated member applies committed
// entries to, and the encoding of its commands in raft entry data.

export type KvCommand =
  | { readonly rid: string; readonly kind: 'write'; readonly key: string; readonly value: string }
  | { readonly rid: string; readonly kind: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string }
  | { readonly rid: string; readonly kind: 'delete'; readonly key: string };

export type KvResult =
  | { readonly kind: 'write' }
  | { readonly kind: 'cas'; readonly ok: boolean }
  | { readonly kind: 'delete'; readonly existed: boolean };

export function encodeCommand(cmd: KvCommand): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(cmd));
}

/** Entry data that is not a command (a new leader's empty entry) decodes to undefined. */
export function decodeCommand(data: Uint8Array): KvCommand | undefined {
  if (data.length === 0) return undefined;
  const parsed: unknown = JSON.parse(new TextDecoder().decode(data));
  if (typeof parsed !== 'object' || parsed === null) throw new Error('entry data is not a command');
  const r = parsed as Record<string, unknown>;
  const rid = String(r['rid']);
  const key = String(r['key']);
  switch (r['kind']) {
    case 'write': return { rid, kind: 'write', key, value: String(r['value']) };
    case 'cas': {
      const expected = r['expected'] === null ? null : String(r['expected']);
      return { rid, kind: 'cas', key, expected, value: String(r['value']) };
    }
    case 'delete': return { rid, kind: 'delete', key };
    default: throw new Error(`unknown command kind ${String(r['kind'])}`);
  }
}

export class KvStateMachine {
  private readonly data = new Map<string, string>();
  /**
   * Request ids already applied: a proposal the network delivered twice must not
   * apply twice (a retried client request has a new id and may).
   */
  private readonly appliedRids = new Set<string>();

  get(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  hasApplied(rid: string): boolean {
    return this.appliedRids.has(rid);
  }

  /** undefined when the command was a duplicate and changed nothing. */
  apply(cmd: KvCommand): KvResult | undefined {
    if (this.appliedRids.has(cmd.rid)) return undefined;
    this.appliedRids.add(cmd.rid);
    return this.preview(cmd, true);
  }

  /** What the command would answer against the current state; `commit` also performs it. */
  preview(cmd: KvCommand, commit = false): KvResult {
    const current = this.get(cmd.key);
    switch (cmd.kind) {
      case 'write':
        if (commit) this.data.set(cmd.key, cmd.value);
        return { kind: 'write' };
      case 'cas': {
        const ok = current === cmd.expected;
        if (ok && commit) this.data.set(cmd.key, cmd.value);
        return { kind: 'cas', ok };
      }
      case 'delete':
        if (commit) this.data.delete(cmd.key);
        return { kind: 'delete', existed: current !== null };
    }
  }

  /** A stable rendering of the whole state, for snapshots and for comparing members. */
  encode(): Uint8Array {
    const entries = [...this.data].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return new TextEncoder().encode(JSON.stringify({ data: entries, rids: [...this.appliedRids].sort() }));
  }

  static decode(bytes: Uint8Array): KvStateMachine {
    const kv = new KvStateMachine();
    if (bytes.length === 0) return kv;
    const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof parsed !== 'object' || parsed === null) throw new Error('snapshot is not a kv state');
    const r = parsed as Record<string, unknown>;
    const data = r['data'];
    const rids = r['rids'];
    if (!Array.isArray(data) || !Array.isArray(rids)) throw new Error('snapshot lacks data or rids');
    for (const pair of data as unknown[]) {
      if (!Array.isArray(pair)) throw new Error('snapshot pair is not an array');
      kv.data.set(String(pair[0]), String(pair[1]));
    }
    for (const rid of rids as unknown[]) kv.appliedRids.add(String(rid));
    return kv;
  }
}
