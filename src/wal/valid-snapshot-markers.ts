// Lists the snapshot markers a WAL holds that raft had committed, without opening
// (or locking) the WAL: the server uses them to pick a snapshot file to boot from,
// since a .snap file written before a crash may never have been committed.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RecordType, type SnapshotMarker } from './record-payloads.js';
import { scanSegment } from './segment-scan.js';
import { listSegments } from './segment-name.js';
import { WalError } from './wal-errors.js';

export async function validSnapshotMarkers(dir: string): Promise<SnapshotMarker[]> {
  const segments = await listSegments(dir);
  if (segments.length === 0) throw new WalError('WalNotFound', `wal: no segment files in ${dir}`);
  const markers: SnapshotMarker[] = [];
  let commit = 0;
  for (const [i, segment] of segments.entries()) {
    const buffer = await readFile(join(dir, segment.fileName));
    const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    for (const { record } of scanSegment(bytes, segment.fileName, i === segments.length - 1).records) {
      if (record.type === RecordType.Snapshot) markers.push(record.snapshot);
      if (record.type === RecordType.HardState) commit = record.hardState.commit;
    }
  }
  return markers.filter((marker) => marker.index <= commit);
}
