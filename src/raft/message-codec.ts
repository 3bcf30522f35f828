// Binary encoding of raft records for the WAL and the peer transport, in the
// protobuf wire format with this project's own field layout (below). Decoding
// validates everything and throws MalformedError, never an assertion.
//
// Entry:            1 term, 2 index, 3 type (enum), 4 data (bytes)
// HardState:        1 term, 2 vote (uint64), 3 commit
// ConfState:        1 voters (repeated uint64), 2 learners (repeated uint64)
// ConfChange:       1 type (enum), 2 memberId (uint64), 3 context (bytes)
// SnapshotMetadata: 1 confState, 2 index, 3 term
// Snapshot:         1 metadata, 2 data (bytes)
// Message:          1 type, 2 to, 3 from, 4 term, 5 logTerm, 6 index, 7 entries (repeated Entry),
//                   8 commit, 9 snapshot, 10 reject (bool), 11 rejectHint, 12 context (bytes)
// Numbers are varints; unknown fields are skipped so newer writers stay readable.

import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { MalformedError } from './errors.js';
import { MESSAGE_TYPE_MAX, MessageType, type Message } from './message.js';
import {
  ConfChangeType,
  EntryType,
  NO_MEMBER,
  type ConfChange,
  type ConfState,
  type Entry,
  type HardState,
  type MemberId,
  type Snapshot,
  type SnapshotMetadata,
} from './types.js';

const EMPTY: Uint8Array = new Uint8Array(0);
/** Nesting depth allowed when skipping unknown groups. */
const SKIP_RECURSION_LIMIT = 16;
/** Entries one message may carry, far above what maxSizePerMsgBytes allows. */
const MAX_ENTRIES_PER_MESSAGE = 1_000_000;
/** Members one configuration may list. */
const MAX_CONF_MEMBERS = 10_000;

// ---- encoding ---------------------------------------------------------------

function writeNumber(w: BinaryWriter, field: number, v: number): void {
  if (v !== 0) w.tag(field, WireType.Varint).uint64(v);
}

function writeId(w: BinaryWriter, field: number, v: bigint): void {
  if (v !== 0n) w.tag(field, WireType.Varint).uint64(v);
}

function writeBytes(w: BinaryWriter, field: number, v: Uint8Array): void {
  if (v.length > 0) w.tag(field, WireType.LengthDelimited).bytes(v);
}

function writeEntry(w: BinaryWriter, e: Entry): void {
  writeNumber(w, 1, e.term);
  writeNumber(w, 2, e.index);
  writeNumber(w, 3, e.type);
  writeBytes(w, 4, e.data);
}

function writeConfState(w: BinaryWriter, cs: ConfState): void {
  for (const id of cs.voters) w.tag(1, WireType.Varint).uint64(id);
  for (const id of cs.learners) w.tag(2, WireType.Varint).uint64(id);
}

function writeMetadata(w: BinaryWriter, m: SnapshotMetadata): void {
  w.tag(1, WireType.LengthDelimited).fork();
  writeConfState(w, m.confState);
  w.join();
  writeNumber(w, 2, m.index);
  writeNumber(w, 3, m.term);
}

function writeSnapshot(w: BinaryWriter, s: Snapshot): void {
  w.tag(1, WireType.LengthDelimited).fork();
  writeMetadata(w, s.metadata);
  w.join();
  writeBytes(w, 2, s.data);
}

function encodeWith(write: (w: BinaryWriter) => void): Uint8Array {
  const w = new BinaryWriter();
  write(w);
  return w.finish();
}

export function encodeEntry(e: Entry): Uint8Array {
  return encodeWith((w) => writeEntry(w, e));
}

export function encodeHardState(hs: HardState): Uint8Array {
  return encodeWith((w) => {
    writeNumber(w, 1, hs.term);
    writeId(w, 2, hs.vote);
    writeNumber(w, 3, hs.commit);
  });
}

export function encodeConfState(cs: ConfState): Uint8Array {
  return encodeWith((w) => writeConfState(w, cs));
}

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return encodeWith((w) => {
    writeNumber(w, 1, cc.type);
    writeId(w, 2, cc.memberId);
    writeBytes(w, 3, cc.context);
  });
}

export function encodeSnapshotMetadata(m: SnapshotMetadata): Uint8Array {
  return encodeWith((w) => writeMetadata(w, m));
}

export function encodeSnapshot(s: Snapshot): Uint8Array {
  return encodeWith((w) => writeSnapshot(w, s));
}

export function encodeMessage(m: Message): Uint8Array {
  return encodeWith((w) => {
    writeNumber(w, 1, m.type);
    writeId(w, 2, m.to);
    writeId(w, 3, m.from);
    writeNumber(w, 4, m.term);
    writeNumber(w, 5, m.logTerm);
    writeNumber(w, 6, m.index);
    for (const e of m.entries) {
      w.tag(7, WireType.LengthDelimited).fork();
      writeEntry(w, e);
      w.join();
    }
    writeNumber(w, 8, m.commit);
    if (m.snapshot !== undefined) {
      w.tag(9, WireType.LengthDelimited).fork();
      writeSnapshot(w, m.snapshot);
      w.join();
    }
    if (m.reject) w.tag(10, WireType.Varint).bool(true);
    writeNumber(w, 11, m.rejectHint);
    writeBytes(w, 12, m.context);
  });
}

// ---- decoding ---------------------------------------------------------------

/** Reads fields of one record; `onField` returns false for fields it does not know. */
function readFields(
  what: string,
  bytes: Uint8Array,
  onField: (r: FieldReader, field: number, wire: WireType) => boolean,
): void {
  const reader = new BinaryReader(bytes);
  const fr = new FieldReader(what, reader);
  try {
    // Bounded: every iteration consumes at least the tag byte.
    while (reader.pos < reader.len) {
      const [field, wire] = reader.tag();
      if (field <= 0) throw new MalformedError(what, `invalid field number ${field}`);
      if (!onField(fr, field, wire)) reader.skip(wire, field, SKIP_RECURSION_LIMIT);
    }
  } catch (e) {
    if (e instanceof MalformedError) throw e;
    throw new MalformedError(what, e instanceof Error ? e.message : String(e));
  }
}

class FieldReader {
  constructor(
    private readonly what: string,
    private readonly reader: BinaryReader,
  ) {}

  private expect(wire: WireType, wanted: WireType, field: number): void {
    if (wire === wanted) return;
    throw new MalformedError(this.what, `field ${field} has wire type ${wire}, expected ${wanted}`);
  }

  number(wire: WireType, field: number): number {
    this.expect(wire, WireType.Varint, field);
    const v = BigInt(this.reader.uint64());
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedError(this.what, `field ${field} value ${v} too large`);
    return Number(v);
  }

  id(wire: WireType, field: number): MemberId {
    this.expect(wire, WireType.Varint, field);
    return BigInt(this.reader.uint64());
  }

  bool(wire: WireType, field: number): boolean {
    this.expect(wire, WireType.Varint, field);
    return this.reader.bool();
  }

  bytes(wire: WireType, field: number): Uint8Array {
    this.expect(wire, WireType.LengthDelimited, field);
    // Copy: the input buffer may be reused by the transport or WAL reader.
    return this.reader.bytes().slice();
  }

  /** Repeated uint64, accepting both packed and unpacked encodings. */
  ids(wire: WireType, field: number, into: MemberId[]): void {
    if (wire === WireType.Varint) {
      into.push(BigInt(this.reader.uint64()));
    } else {
      const packed = new BinaryReader(this.bytes(wire, field));
      while (packed.pos < packed.len) into.push(BigInt(packed.uint64()));
    }
    if (into.length > MAX_CONF_MEMBERS) throw new MalformedError(this.what, 'too many members');
  }

  enumValue(wire: WireType, field: number, max: number): number {
    const v = this.number(wire, field);
    if (v > max) throw new MalformedError(this.what, `field ${field} has unknown enum value ${v}`);
    return v;
  }
}

export function decodeEntry(bytes: Uint8Array): Entry {
  let term = 0;
  let index = 0;
  let type = EntryType.Normal;
  let data = EMPTY;
  readFields('entry', bytes, (r, f, w) => {
    if (f === 1) term = r.number(w, f);
    else if (f === 2) index = r.number(w, f);
    else if (f === 3) type = r.enumValue(w, f, EntryType.ConfChange);
    else if (f === 4) data = r.bytes(w, f);
    else return false;
    return true;
  });
  return { term, index, type, data };
}

export function decodeHardState(bytes: Uint8Array): HardState {
  let term = 0;
  let vote: MemberId = NO_MEMBER;
  let commit = 0;
  readFields('hard state', bytes, (r, f, w) => {
    if (f === 1) term = r.number(w, f);
    else if (f === 2) vote = r.id(w, f);
    else if (f === 3) commit = r.number(w, f);
    else return false;
    return true;
  });
  return { term, vote, commit };
}

export function decodeConfState(bytes: Uint8Array): ConfState {
  const voters: MemberId[] = [];
  const learners: MemberId[] = [];
  readFields('conf state', bytes, (r, f, w) => {
    if (f === 1) r.ids(w, f, voters);
    else if (f === 2) r.ids(w, f, learners);
    else return false;
    return true;
  });
  return { voters, learners };
}

export function decodeConfChange(bytes: Uint8Array): ConfChange {
  let type = ConfChangeType.AddNode;
  let memberId: MemberId = NO_MEMBER;
  let context = EMPTY;
  readFields('conf change', bytes, (r, f, w) => {
    if (f === 1) type = r.enumValue(w, f, ConfChangeType.AddLearnerNode);
    else if (f === 2) memberId = r.id(w, f);
    else if (f === 3) context = r.bytes(w, f);
    else return false;
    return true;
  });
  if (memberId === NO_MEMBER) throw new MalformedError('conf change', 'member id is 0');
  return { type, memberId, context };
}

export function decodeSnapshotMetadata(bytes: Uint8Array): SnapshotMetadata {
  let confState: ConfState = { voters: [], learners: [] };
  let index = 0;
  let term = 0;
  readFields('snapshot metadata', bytes, (r, f, w) => {
    if (f === 1) confState = decodeConfState(r.bytes(w, f));
    else if (f === 2) index = r.number(w, f);
    else if (f === 3) term = r.number(w, f);
    else return false;
    return true;
  });
  return { index, term, confState };
}

export function decodeSnapshot(bytes: Uint8Array): Snapshot {
  let metadata: SnapshotMetadata = { index: 0, term: 0, confState: { voters: [], learners: [] } };
  let data = EMPTY;
  readFields('snapshot', bytes, (r, f, w) => {
    if (f === 1) metadata = decodeSnapshotMetadata(r.bytes(w, f));
    else if (f === 2) data = r.bytes(w, f);
    else return false;
    return true;
  });
  return { metadata, data };
}

/** A Message being decoded: every field present from the start, in makeMessage's order. */
interface MutableMessage {
  type: MessageType;
  to: MemberId;
  from: MemberId;
  term: number;
  logTerm: number;
  index: number;
  entries: Entry[];
  commit: number;
  snapshot?: Snapshot;
  reject: boolean;
  rejectHint: number;
  context: Uint8Array;
}

export function decodeMessage(bytes: Uint8Array): Message {
  const m: MutableMessage = {
    type: MessageType.MsgHup, to: NO_MEMBER, from: NO_MEMBER, term: 0, logTerm: 0, index: 0, entries: [],
    commit: 0, snapshot: undefined, reject: false, rejectHint: 0, context: EMPTY,
  };
  readFields('message', bytes, (r, f, w) => decodeMessageField(m, r, f, w));
  // Fields the bytes leave out keep their defaults, as makeMessage would give them.
  return m;
}

function decodeMessageField(m: MutableMessage, r: FieldReader, f: number, w: WireType): boolean {
  switch (f) {
    case 1: m.type = r.enumValue(w, f, MESSAGE_TYPE_MAX); return true;
    case 2: m.to = r.id(w, f); return true;
    case 3: m.from = r.id(w, f); return true;
    case 4: m.term = r.number(w, f); return true;
    case 5: m.logTerm = r.number(w, f); return true;
    case 6: m.index = r.number(w, f); return true;
    case 7:
      if (m.entries.length >= MAX_ENTRIES_PER_MESSAGE) throw new MalformedError('message', 'too many entries');
      m.entries.push(decodeEntry(r.bytes(w, f)));
      return true;
    case 8: m.commit = r.number(w, f); return true;
    case 9: m.snapshot = decodeSnapshot(r.bytes(w, f)); return true;
    case 10: m.reject = r.bool(w, f); return true;
    case 11: m.rejectHint = r.number(w, f); return true;
    case 12: m.context = r.bytes(w, f); return true;
    default: return false;
  }
}
