// Segment file names as etcd spells them: `<seq 16 hex>-<first index 16 hex>.wal`,
// and listing a directory's segments in order.
import { readdir } from 'node:fs/promises';

export const SEGMENT_SUFFIX = '.wal';
const SEGMENT_NAME_PATTERN = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;

export interface SegmentName {
  readonly seq: number;
  /** The index the segment's first new entry was expected to have when it was cut. */
  readonly firstIndex: number;
  readonly fileName: string;
}

export function segmentFileName(seq: number, firstIndex: number): string {
  return `${hex16(seq)}-${hex16(firstIndex)}${SEGMENT_SUFFIX}`;
}

export function parseSegmentName(fileName: string): SegmentName | null {
  const match = SEGMENT_NAME_PATTERN.exec(fileName);
  if (match === null || match[1] === undefined || match[2] === undefined) return null;
  const seq = Number.parseInt(match[1], 16);
  const firstIndex = Number.parseInt(match[2], 16);
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(firstIndex)) return null;
  return { seq, firstIndex, fileName };
}

/** Segments sorted by sequence; files that merely end in .wal but do not parse are ignored as etcd does. */
export async function listSegments(dir: string): Promise<SegmentName[]> {
  const names = await readdir(dir);
  const segments: SegmentName[] = [];
  for (const name of names) {
    const parsed = parseSegmentName(name);
    if (parsed !== null) segments.push(parsed);
  }
  return segments.sort((a, b) => a.seq - b.seq);
}

function hex16(value: number): string {
  return value.toString(16).padStart(16, '0');
}
