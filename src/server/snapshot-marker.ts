// The last raft snapshot point (index, term, voters), kept in the backend's meta
// bucket in the same commit as the state it describes, so a restart knows where
// the raft log begins and from where to read the WAL.
import type { Backend } from '../backend/backend.js';
import type { SnapshotMetadata } from '../raft/types.js';

const MARKER_KEY = Buffer.from('etcd-ts:raft-snapshot');

interface StoredMarker {
  readonly index: number;
  readonly term: number;
  readonly voters: string[];
  readonly learners: string[];
}

export function writeSnapshotMarker(backend: Backend, metadata: SnapshotMetadata): void {
  const stored: StoredMarker = {
    index: metadata.index,
    term: metadata.term,
    voters: metadata.confState.voters.map((id) => id.toString(16)),
    learners: metadata.confState.learners.map((id) => id.toString(16)),
  };
  backend.put('meta', MARKER_KEY, Buffer.from(JSON.stringify(stored)));
}

function isStoredMarker(value: unknown): value is StoredMarker {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.index === 'number' &&
    typeof record.term === 'number' &&
    Array.isArray(record.voters) &&
    Array.isArray(record.learners)
  );
}

export function readSnapshotMarker(backend: Backend): SnapshotMetadata | null {
  const raw = backend.get('meta', MARKER_KEY);
  if (raw === undefined) return null;
  const parsed: unknown = JSON.parse(raw.toString('utf8'));
  if (!isStoredMarker(parsed)) throw new Error('corrupt raft snapshot marker in the backend meta bucket');
  return {
    index: parsed.index,
    term: parsed.term,
    confState: {
      voters: parsed.voters.map((id) => BigInt(`0x${id}`)),
      learners: parsed.learners.map((id) => BigInt(`0x${id}`)),
    },
  };
}

/** A restored backend starts a new raft log: the old snapshot point means nothing there. */
export function clearSnapshotMarker(backend: Backend): void {
  backend.delete('meta', MARKER_KEY);
}
