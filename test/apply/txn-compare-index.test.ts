// Compares on VERSION, CREATE and MOD are answered from the key index alone; they
// must agree with the same compares judged on the stored records, for single keys
// and ranges, missing keys, deleted keys, several generations and the write txn's
// own view, on random histories.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareHolds } from '../../src/apply/txn-compare.js';
import { MemoryBackend } from '../../src/backend/memory-backend.js';
import {
  Compare_CompareResult as CompareResult,
  Compare_CompareTarget as CompareTarget,
  type Compare,
} from '../../src/generated/etcdserverpb/rpc.js';
import type { KeyValue } from '../../src/generated/mvccpb/kv.js';
import type { ReadView } from '../../src/mvcc/kv-view.js';
import { MvccStore } from '../../src/mvcc/mvcc-store.js';
import { seededRandom, type SeededRandom } from '../../src/util/seeded-random.js';
import { AT_HEAD, b, NONE } from '../mvcc/store-helpers.js';

const KEYS = ['a', 'b', 'c', 'd'];
const WRITES = 300;
const COMPARES_PER_WRITE = 20;
const RESULTS = [CompareResult.EQUAL, CompareResult.NOT_EQUAL, CompareResult.GREATER, CompareResult.LESS];
const TARGETS = [CompareTarget.VERSION, CompareTarget.CREATE, CompareTarget.MOD];

function pick<T>(random: SeededRandom, values: readonly T[]): T {
  return values[random.int(0, values.length - 1)] as T;
}

/** The compare judged on stored records, as etcd does it. */
function expected(view: ReadView, compare: Compare): boolean {
  const kvs = view.range(compare.key, compare.rangeEnd, AT_HEAD).kvs;
  const field = (kv: KeyValue | undefined): bigint => {
    if (kv === undefined) return 0n;
    if (compare.target === CompareTarget.VERSION) return kv.version;
    return compare.target === CompareTarget.CREATE ? kv.createRevision : kv.modRevision;
  };
  const operand = compare.targetUnion?.value;
  const against = typeof operand === 'bigint' ? operand : 0n;
  const holds = (kv: KeyValue | undefined): boolean => {
    const value = field(kv);
    if (compare.result === CompareResult.EQUAL) return value === against;
    if (compare.result === CompareResult.NOT_EQUAL) return value !== against;
    return compare.result === CompareResult.GREATER ? value > against : value < against;
  };
  return kvs.length === 0 ? holds(undefined) : kvs.every(holds);
}

function randomCompare(random: SeededRandom, revision: number): Compare {
  const target = pick(random, TARGETS);
  const value = BigInt(random.int(0, revision + 1));
  const targetUnion =
    target === CompareTarget.VERSION ? { $case: 'version' as const, value: BigInt(random.int(0, 4)) }
      : target === CompareTarget.CREATE ? { $case: 'createRevision' as const, value }
        : { $case: 'modRevision' as const, value };
  const ranged = random.int(0, 2) === 0;
  const from = pick(random, KEYS);
  return {
    key: b(from),
    rangeEnd: ranged ? b(String.fromCharCode(from.charCodeAt(0) + random.int(1, 3))) : NONE,
    result: pick(random, RESULTS),
    target,
    targetUnion,
  };
}

test('index-answered compares agree with compares on stored records over a random history', () => {
  const random = seededRandom(41);
  const store = MvccStore.open(MemoryBackend.open());
  let checked = 0;
  for (let w = 0; w < WRITES; w++) {
    const txn = store.write();
    if (random.int(0, 3) === 0) txn.deleteRange(b(pick(random, KEYS)), NONE);
    else txn.put(b(pick(random, KEYS)), b(`v${w}`), 0n);
    // The write txn's own view sees its pending change, as a txn's later ops do.
    for (const view of [txn, store.read()]) {
      for (let c = 0; c < COMPARES_PER_WRITE; c++) {
        const compare = randomCompare(random, store.currentRevision);
        assert.equal(compareHolds(view, compare), expected(view, compare), JSON.stringify({ w, compare }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
        checked++;
      }
    }
    txn.end();
  }
  assert.ok(checked >= WRITES * COMPARES_PER_WRITE * 2);
});
