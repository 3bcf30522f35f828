// The binary forms of raft records round-trip exactly, and bytes that are not
// a valid record are refused with a typed error rather than misread.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { MalformedError } from '../../src/raft/errors.js';
import {
  decodeConfChange, decodeConfState, decodeEntry, decodeHardState, decodeMessage, decodeSnapshotMetadata,
  encodeConfChange, encodeConfState, encodeEntry, encodeHardState, encodeMessage, encodeSnapshotMetadata,
} from '../../src/raft/message-codec.js';
import { makeMessage, MessageType } from '../../src/raft/message.js';
import { ConfChangeType, EntryType, type SnapshotMetadata } from '../../src/raft/types.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const BIG_ID = 0xfedcba9876543210n;

test('an append message with entries, commit and rejection hint round-trips', () => {
  const msg = makeMessage({
    type: MessageType.MsgApp, to: BIG_ID, from: 2n, term: 7, logTerm: 6, index: 41, commit: 40,
    entries: [
      { term: 7, index: 42, type: EntryType.Normal, data: bytes('put k v') },
      { term: 7, index: 43, type: EntryType.ConfChange, data: encodeConfChange({ type: ConfChangeType.AddNode, memberId: 9n, context: bytes('url') }) },
      { term: 7, index: 44, type: EntryType.Normal, data: new Uint8Array(0) },
    ],
    reject: true, rejectHint: 12, context: bytes('ctx'),
  });
  assert.deepEqual(decodeMessage(encodeMessage(msg)), msg);
});

test('a snapshot message round-trips with its metadata and data', () => {
  const msg = makeMessage({
    type: MessageType.MsgSnap, to: 3n, from: 1n, term: 4,
    snapshot: {
      metadata: { index: 100, term: 3, confState: { voters: [1n, 2n, BIG_ID], learners: [4n] } },
      data: bytes('state'),
    },
  });
  assert.deepEqual(decodeMessage(encodeMessage(msg)), msg);
});

test('hard state, conf state, conf change, entry and snapshot metadata round-trip', () => {
  const hs = { term: 2 ** 40, vote: BIG_ID, commit: 12345 };
  assert.deepEqual(decodeHardState(encodeHardState(hs)), hs);
  const cs = { voters: [1n, 2n, 3n], learners: [10n] };
  assert.deepEqual(decodeConfState(encodeConfState(cs)), cs);
  const cc = { type: ConfChangeType.AddLearnerNode, memberId: BIG_ID, context: bytes('{"peerURLs":[]}') };
  assert.deepEqual(decodeConfChange(encodeConfChange(cc)), cc);
  const e = { term: 3, index: Number.MAX_SAFE_INTEGER, type: EntryType.Normal, data: bytes('x') };
  assert.deepEqual(decodeEntry(encodeEntry(e)), e);
  const md: SnapshotMetadata = { index: 5, term: 1, confState: cs };
  assert.deepEqual(decodeSnapshotMetadata(encodeSnapshotMetadata(md)), md);
});

test('an empty record decodes to the zero value', () => {
  assert.deepEqual(decodeHardState(new Uint8Array(0)), { term: 0, vote: 0n, commit: 0 });
});

test('truncated input is refused with MalformedError', () => {
  const full = encodeMessage(makeMessage({
    type: MessageType.MsgApp, to: 2n, from: 1n, term: 3,
    entries: [{ term: 3, index: 1, type: EntryType.Normal, data: bytes('payload') }],
  }));
  for (let cut = 1; cut < full.length; cut++) {
    const prefix = full.subarray(0, cut);
    try {
      decodeMessage(prefix);
    } catch (e) {
      assert.ok(e instanceof MalformedError, `cut at ${cut} threw ${String(e)}`);
      continue;
    }
    // A cut exactly between fields is a valid shorter message; it must then lack the entries.
    assert.ok(decodeMessage(prefix).entries.length === 0, `cut at ${cut} decoded a partial entry`);
  }
  assert.throws(() => decodeMessage(full.subarray(0, full.length - 1)), MalformedError);
});

test('a field with the wrong wire type is refused', () => {
  const w = new BinaryWriter();
  w.tag(4, WireType.LengthDelimited).bytes(bytes('not a number'));
  assert.throws(() => decodeMessage(w.finish()), (e: unknown) => e instanceof MalformedError && /wire type/.test(e.message));
});

test('an unknown message type or entry type is refused', () => {
  const w = new BinaryWriter();
  w.tag(1, WireType.Varint).uint32(99);
  assert.throws(() => decodeMessage(w.finish()), /unknown enum value/);
  const e = new BinaryWriter();
  e.tag(3, WireType.Varint).uint32(7);
  assert.throws(() => decodeEntry(e.finish()), MalformedError);
});

test('an index beyond 2^53 is refused rather than rounded', () => {
  const w = new BinaryWriter();
  w.tag(2, WireType.Varint).uint64(2n ** 60n);
  assert.throws(() => decodeEntry(w.finish()), /too large/);
});

test('a conf change without a member id is refused', () => {
  assert.throws(() => decodeConfChange(new Uint8Array(0)), MalformedError);
});

test('unknown fields are skipped so newer writers stay readable', () => {
  const w = new BinaryWriter();
  w.tag(1, WireType.Varint).uint64(5);
  w.tag(99, WireType.LengthDelimited).bytes(bytes('future'));
  w.tag(3, WireType.Varint).uint64(8);
  assert.deepEqual(decodeHardState(w.finish()), { term: 5, vote: 0n, commit: 8 });
});

test('garbage bytes never escape as anything but MalformedError', () => {
  let state = 12345;
  for (let i = 0; i < 500; i++) {
    const junk = new Uint8Array(1 + (i % 40));
    for (let j = 0; j < junk.length; j++) {
      state = (state * 1103515245 + 12345) >>> 0;
      junk[j] = state >>> 24;
    }
    try {
      decodeMessage(junk);
    } catch (e) {
      assert.ok(e instanceof MalformedError, `input ${Buffer.from(junk).toString('hex')} threw ${String(e)}`);
    }
  }
});
