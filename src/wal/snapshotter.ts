// Raft snapshot files: `<term 16 hex>-<index 16 hex>.snap` in the snap directory,
// each with a CRC; saving is atomic (temp file, fsync, rename), loading picks the
// newest file that checks out, purging keeps the newest --max-snapshots.
import { crc32 } from 'node:zlib';
import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { MemberId, Snapshot } from '../raft/types.js';
import type { SnapshotMarker } from './record-payloads.js';
import { syncDirectory } from './segment-writer.js';

/** etcd's --max-snapshots default; 0 keeps every file. */
export const DEFAULT_MAX_SNAPSHOTS = 5;
/** A cluster never has this many members; a larger count in a file is damage. */
const MAX_CONF_MEMBERS = 1024;
const SNAP_SUFFIX = '.snap';
const BROKEN_SUFFIX = '.broken';
const SNAP_NAME_PATTERN = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;
/** crc32 of everything after it (u32), then a format version (u32). */
const FILE_HEADER_BYTES = 8;
const FORMAT_VERSION = 1;

export class Snapshotter {
  constructor(private readonly dir: string) {}

  /** Writes the snapshot durably. An empty snapshot (index 0) is not written. */
  async save(snapshot: Snapshot): Promise<void> {
    if (snapshot.metadata.index === 0) return;
    await mkdir(this.dir, { recursive: true });
    const name = snapFileName(snapshot.metadata);
    const temporary = join(this.dir, `${name}.tmp`);
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(encodeSnapshotFile(snapshot));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, join(this.dir, name));
    await syncDirectory(this.dir);
  }

  /**
   * The newest snapshot whose file is intact and which `accept` allows (the server
   * passes the markers its WAL holds). Damaged files are renamed *.broken, as etcd does.
   */
  async loadNewest(accept: (marker: SnapshotMarker) => boolean = () => true): Promise<Snapshot | null> {
    for (const name of (await this.snapFiles()).reverse()) {
      const marker = parseSnapName(name);
      if (marker === null || !accept(marker)) continue;
      const snapshot = decodeSnapshotFile(await readFile(join(this.dir, name)));
      if (snapshot !== null && snapshot.metadata.index === marker.index && snapshot.metadata.term === marker.term) {
        return snapshot;
      }
      await rename(join(this.dir, name), join(this.dir, `${name}${BROKEN_SUFFIX}`));
    }
    return null;
  }

  /** Deletes the oldest snapshot files beyond `maxSnapshots` (0 keeps all); returns how many went. */
  async purge(maxSnapshots: number = DEFAULT_MAX_SNAPSHOTS): Promise<number> {
    if (maxSnapshots === 0) return 0;
    const files = await this.snapFiles();
    const victims = files.slice(0, Math.max(0, files.length - maxSnapshots));
    for (const name of victims) await unlink(join(this.dir, name));
    return victims.length;
  }

  /** Snapshot file names, oldest first (the hex names sort by term, then index). */
  private async snapFiles(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if (typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT') return [];
      throw error;
    }
    return names.filter((name) => SNAP_NAME_PATTERN.test(name)).sort();
  }
}

export function snapFileName(marker: SnapshotMarker): string {
  return `${hex16(marker.term)}-${hex16(marker.index)}${SNAP_SUFFIX}`;
}

function parseSnapName(name: string): SnapshotMarker | null {
  const match = SNAP_NAME_PATTERN.exec(name);
  if (match === null || match[1] === undefined || match[2] === undefined) return null;
  return { term: Number.parseInt(match[1], 16), index: Number.parseInt(match[2], 16) };
}

export function encodeSnapshotFile(snapshot: Snapshot): Uint8Array {
  const { index, term, confState } = snapshot.metadata;
  const memberBytes = 8 * (confState.voters.length + confState.learners.length);
  const bytes = new Uint8Array(FILE_HEADER_BYTES + 16 + 8 + memberBytes + snapshot.data.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(4, FORMAT_VERSION, true);
  view.setBigUint64(8, BigInt(index), true);
  view.setBigUint64(16, BigInt(term), true);
  let offset = writeMembers(view, 24, confState.voters);
  offset = writeMembers(view, offset, confState.learners);
  bytes.set(snapshot.data, offset);
  view.setUint32(0, crc32(bytes.subarray(4)), true);
  return bytes;
}

/** Null when the file is damaged in any way. */
export function decodeSnapshotFile(file: Uint8Array): Snapshot | null {
  if (file.length < FILE_HEADER_BYTES + 24) return null;
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  if (view.getUint32(0, true) !== crc32(file.subarray(4)) || view.getUint32(4, true) !== FORMAT_VERSION) return null;
  const index = Number(view.getBigUint64(8, true));
  const term = Number(view.getBigUint64(16, true));
  const voters = readMembers(view, 24);
  if (voters === null) return null;
  const learners = readMembers(view, voters.end);
  if (learners === null) return null;
  const data = new Uint8Array(file.subarray(learners.end));
  return { metadata: { index, term, confState: { voters: voters.ids, learners: learners.ids } }, data };
}

function writeMembers(view: DataView, offset: number, ids: readonly MemberId[]): number {
  view.setUint32(offset, ids.length, true);
  ids.forEach((id, i) => view.setBigUint64(offset + 4 + 8 * i, id, true));
  return offset + 4 + 8 * ids.length;
}

function readMembers(view: DataView, offset: number): { ids: MemberId[]; end: number } | null {
  if (offset + 4 > view.byteLength) return null;
  const count = view.getUint32(offset, true);
  if (count > MAX_CONF_MEMBERS || offset + 4 + 8 * count > view.byteLength) return null;
  const ids = Array.from({ length: count }, (_, i) => view.getBigUint64(offset + 4 + 8 * i, true));
  return { ids, end: offset + 4 + 8 * count };
}

function hex16(value: number): string {
  return value.toString(16).padStart(16, '0');
}
