// Pure pieces of the client: etcd's error texts become the right typed errors, and
// prefix range ends follow etcd's byte arithmetic.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { prefixEnd } from '../../src/client/bytes.js';
import {
  AuthOldRevisionError,
  CompactedError,
  EtcdClientError,
  InvalidAuthTokenError,
  LeaseNotFoundError,
  NotImplementedError,
  TimeoutError,
  UnavailableError,
  errorFromGrpc,
} from '../../src/client/client-errors.js';
import { buildRangeRequest } from '../../src/client/kv-requests.js';

describe('errors', () => {
  test('etcd texts pick the subclass and keep code and message', () => {
    const compacted = errorFromGrpc({ code: GrpcStatus.OUT_OF_RANGE, details: 'etcdserver: mvcc: required revision has been compacted' });
    assert.ok(compacted instanceof CompactedError);
    assert.equal(compacted.grpcCode, GrpcStatus.OUT_OF_RANGE);
    assert.equal(compacted.message, 'etcdserver: mvcc: required revision has been compacted');
    assert.ok(errorFromGrpc({ code: GrpcStatus.NOT_FOUND, details: 'etcdserver: requested lease not found' }) instanceof LeaseNotFoundError);
    assert.ok(errorFromGrpc({ code: GrpcStatus.UNAUTHENTICATED, details: 'etcdserver: invalid auth token' }) instanceof InvalidAuthTokenError);
    assert.ok(errorFromGrpc({ code: GrpcStatus.FAILED_PRECONDITION, details: 'etcdserver: revision of auth store is old' }) instanceof AuthOldRevisionError);
    // A blocked Lock past its deadline, as etcd answers it (UNKNOWN), is a timeout like DEADLINE_EXCEEDED.
    assert.ok(errorFromGrpc({ code: GrpcStatus.UNKNOWN, details: 'context deadline exceeded' }) instanceof TimeoutError);
    assert.ok(errorFromGrpc({ code: GrpcStatus.DEADLINE_EXCEEDED, details: 'Deadline exceeded' }) instanceof TimeoutError);
  });

  test('unknown texts fall back to the code, then to the base class', () => {
    assert.ok(errorFromGrpc({ code: GrpcStatus.UNAVAILABLE, details: 'connect ECONNREFUSED' }) instanceof UnavailableError);
    assert.ok(errorFromGrpc({ code: GrpcStatus.UNIMPLEMENTED, details: '' }) instanceof NotImplementedError);
    const other = errorFromGrpc({ code: GrpcStatus.INVALID_ARGUMENT, details: 'etcdserver: something new' });
    assert.equal(other.constructor, EtcdClientError);
    assert.equal(other.name, 'EtcdClientError');
  });
});

describe('prefix range ends', () => {
  test('the last byte below 0xff is incremented and the rest dropped', () => {
    assert.deepEqual(prefixEnd(Buffer.from('abc')), Buffer.from('abd'));
    assert.deepEqual(prefixEnd(Buffer.from([0x61, 0xff, 0xff])), Buffer.from([0x62]));
  });

  test('an all-0xff prefix ranges to the end of the keyspace', () => {
    assert.deepEqual(prefixEnd(Buffer.from([0xff, 0xff])), Buffer.from([0]));
  });

  test('an empty prefix means every key, spelled key "\\0" range end "\\0"', () => {
    const request = buildRangeRequest('', { prefix: true });
    assert.deepEqual(request.key, Buffer.from([0]));
    assert.deepEqual(request.rangeEnd, Buffer.from([0]));
  });

  test('choosing two ways to end a range is refused', () => {
    assert.throws(() => buildRangeRequest('a', { prefix: true, fromKey: true }), TypeError);
  });
});
