// Writes a new bbolt file from buckets of sorted key/values (and nested buckets):
// trees are streamed out page by page, then an empty freelist, then both metas, so
// bbolt (and etcd, and `etcdctl snapshot status`) open it as a freshly compacted db.
import { open, rm } from 'node:fs/promises';
import {
  BBOLT_KEY_BYTES_MAX,
  BBOLT_PAGE_BYTES_DEFAULT,
  BBOLT_VALUE_BYTES_MAX,
  BUCKET_HEADER_BYTES,
  FREELIST_PAGE_FLAG,
  PAGE_FLAGS_OFFSET,
} from './bbolt-format.js';
import { encodeMetaPage } from './meta-page.js';
import { PageAppender } from './page-appender.js';
import { buildTree, type BuiltTree, type TreeElement } from './tree-builder.js';

export type KeyValueStream = Iterable<readonly [Buffer, Buffer]> | AsyncIterable<readonly [Buffer, Buffer]>;

/**
 * A bucket's content. Keys must be strictly ascending and non-empty; the writer
 * holds on to a page's worth of buffers, so the caller must not reuse them.
 */
export interface BboltBucketSource {
  readonly entries: KeyValueStream;
  readonly buckets?: ReadonlyMap<string, BboltBucketSource>;
}

export interface BboltWriteOptions {
  readonly pageBytes?: number;
}

export interface BboltWriteSummary {
  readonly pageCount: number;
  readonly sizeBytes: number;
  /** Plain key/values written, over all buckets. */
  readonly keyCount: number;
}

/** Bad input to the writer (unsorted or oversized keys): the caller's data, not the file, is wrong. */
export class BboltWriteError extends Error {
  override readonly name = 'BboltWriteError';
}

/** Writes `path` (replacing it); on failure the partial file is removed. */
export async function writeBbolt(
  path: string,
  buckets: ReadonlyMap<string, BboltBucketSource | KeyValueStream>,
  options: BboltWriteOptions = {},
): Promise<BboltWriteSummary> {
  const pageBytes = options.pageBytes ?? BBOLT_PAGE_BYTES_DEFAULT;
  const file = await open(path, 'w', 0o600);
  try {
    const out = new PageAppender(file, pageBytes);
    const counter = { keys: 0 };
    const top = new Map<string, BboltBucketSource>();
    for (const [name, input] of buckets) top.set(name, isBucketSource(input) ? input : { entries: input });
    const root = await writeBucket({ entries: [], buckets: top }, out, false, counter);
    if (root.kind !== 'page') throw new Error('the root bucket was built inline');
    const freelistPage = Buffer.alloc(pageBytes);
    freelistPage.writeUInt16LE(FREELIST_PAGE_FLAG, PAGE_FLAGS_OFFSET);
    const freelistPgid = await out.append(freelistPage);
    await out.flush();
    const pgid = BigInt(out.pgidLimit);
    for (const txid of [0n, 1n]) {
      const meta = { pageBytes, flags: 0, rootPgid: BigInt(root.rootPgid), rootSequence: 0n, freelistPgid: BigInt(freelistPgid), pgid, txid };
      await file.write(encodeMetaPage(meta), 0, pageBytes, Number(txid) * pageBytes);
    }
    await file.sync();
    await file.close();
    return { pageCount: out.pgidLimit, sizeBytes: out.pgidLimit * pageBytes, keyCount: counter.keys };
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(path, { force: true });
    throw error;
  }
}

function isBucketSource(input: BboltBucketSource | KeyValueStream): input is BboltBucketSource {
  // Arrays and maps have an `entries` method too; only a plain source lacks iteration.
  return !(Symbol.iterator in input) && !(Symbol.asyncIterator in input);
}

/** Nested buckets first (their pages must exist before the parent points at them), then the bucket itself. */
async function writeBucket(source: BboltBucketSource, out: PageAppender, allowInline: boolean, counter: { keys: number }): Promise<BuiltTree> {
  const nested: TreeElement[] = [];
  const names = [...(source.buckets?.keys() ?? [])].map((name) => Buffer.from(name, 'utf8')).sort(Buffer.compare);
  for (const name of names) {
    const child = source.buckets!.get(name.toString('utf8'))!;
    const tree = await writeBucket(child, out, true, counter);
    nested.push({ key: checkKey(name), value: bucketValue(tree), isBucket: true });
  }
  return buildTree(mergeElements(source.entries, nested, counter), out, allowInline);
}

function bucketValue(tree: BuiltTree): Buffer {
  if (tree.kind === 'inline') return tree.value;
  const header = Buffer.alloc(BUCKET_HEADER_BYTES);
  header.writeBigUInt64LE(BigInt(tree.rootPgid), 0);
  return header;
}

/** Elements handed to the tree builder at a time: one await per batch, not per key. */
const MERGE_BATCH_ELEMENTS = 4096;

/** The bucket's key/values and its nested buckets in one ascending stream of batches, checked as it goes. */
async function* mergeElements(entries: KeyValueStream, nested: readonly TreeElement[], counter: { keys: number }): AsyncGenerator<TreeElement[]> {
  let next = 0;
  let previous: Buffer | undefined;
  let batch: TreeElement[] = [];
  const emit = (element: TreeElement): void => {
    if (previous !== undefined && Buffer.compare(previous, element.key) >= 0) {
      throw new BboltWriteError(`keys not strictly ascending: ${element.key.toString('hex')} after ${previous.toString('hex')}`);
    }
    previous = element.key;
    batch.push(element);
  };
  const add = (key: Buffer, value: Buffer): void => {
    while (next < nested.length && Buffer.compare(nested[next]!.key, key) < 0) emit(nested[next++]!);
    if (value.length > BBOLT_VALUE_BYTES_MAX) throw new BboltWriteError(`value of ${value.length} bytes is over bbolt's limit`);
    counter.keys++;
    emit({ key: checkKey(key), value, isBucket: false });
  };
  const take = (): TreeElement[] => {
    const full = batch;
    batch = [];
    return full;
  };
  // A synchronous source is read without an await per key, which would dominate large exports.
  if (Symbol.iterator in entries) {
    for (const [key, value] of entries) {
      add(key, value);
      if (batch.length >= MERGE_BATCH_ELEMENTS) yield take();
    }
  } else {
    for await (const [key, value] of entries) {
      add(key, value);
      if (batch.length >= MERGE_BATCH_ELEMENTS) yield take();
    }
  }
  while (next < nested.length) emit(nested[next++]!);
  yield take();
}

export function checkKey(key: Buffer): Buffer {
  if (key.length === 0 || key.length > BBOLT_KEY_BYTES_MAX) {
    throw new BboltWriteError(`key of ${key.length} bytes: bbolt keys are 1..${BBOLT_KEY_BYTES_MAX} bytes`);
  }
  return key;
}
