// The generated tables: api keys and versions, error codes, and the header rules built on them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CorruptRecordError, TributaryError } from '../../src/records/errors.js';
import {
  API_SPECS,
  ApiKeys,
  ErrorCodes,
  KAFKA_ERRORS,
  MalformedMessageError,
  Reader,
  UnsupportedVersionError,
  Writer,
  apiSpec,
  apiVersionsEntries,
  errorCodeOf,
  isFlexibleVersion,
  kafkaErrorByCode,
  kafkaErrorCode,
  readRequestHeader,
  requestHeaderVersion,
  responseHeaderVersion,
  writeRequestHeader,
  writeResponseHeader,
  readResponseHeader,
} from '../../src/protocol/index.js';

test('api keys and version ranges', () => {
  assert.equal(ApiKeys.Produce, 0);
  assert.equal(ApiKeys.Fetch, 1);
  assert.equal(ApiKeys.ApiVersions, 18);
  assert.equal(ApiKeys.DescribeCluster, 60);
  assert.equal(API_SPECS.length, 41);
  assert.deepEqual(
    API_SPECS.map((s) => s.apiKey),
    [...API_SPECS.map((s) => s.apiKey)].sort((a, b) => a - b),
  );
  const produce = apiSpec(0)!;
  assert.deepEqual([produce.minVersion, produce.maxVersion, produce.firstFlexibleVersion], [0, 11, 9]);
  const fetch = apiSpec(1)!;
  assert.deepEqual([fetch.minVersion, fetch.maxVersion, fetch.firstFlexibleVersion], [0, 17, 12]);
  assert.equal(apiSpec(17)?.name, 'SaslHandshake');
  assert.equal(apiSpec(17)?.firstFlexibleVersion, -1);
  // EndTxn v5 is marked unstable in the schema
  assert.deepEqual([apiSpec(26)!.maxVersion, apiSpec(26)!.maxStableVersion], [5, 4]);
  assert.equal(apiSpec(5), undefined);
  assert.equal(apiSpec(-1), undefined);
  assert.equal(apiSpec(10000), undefined);
  assert.ok(isFlexibleVersion(18, 3) && isFlexibleVersion(18, 42) && !isFlexibleVersion(18, 2));
  assert.deepEqual(apiVersionsEntries([18, 26, 5, 0]), [
    { apiKey: 18, minVersion: 0, maxVersion: 4 },
    { apiKey: 26, minVersion: 0, maxVersion: 4 },
    { apiKey: 0, minVersion: 0, maxVersion: 11 },
  ]);
  assert.equal(apiVersionsEntries().length, API_SPECS.length);
});

test('header versions: v2/v1 for flexible versions, ApiVersions responses always v0', () => {
  assert.equal(requestHeaderVersion(0, 8), 1);
  assert.equal(requestHeaderVersion(0, 9), 2);
  assert.equal(requestHeaderVersion(18, 3), 2);
  assert.equal(requestHeaderVersion(18, 100), 2);
  assert.equal(requestHeaderVersion(17, 1), 1);
  assert.equal(requestHeaderVersion(7, 0), 0);
  assert.equal(requestHeaderVersion(999, 0), 1);
  assert.equal(responseHeaderVersion(0, 9), 1);
  assert.equal(responseHeaderVersion(0, 8), 0);
  assert.equal(responseHeaderVersion(18, 4), 0);
  assert.equal(responseHeaderVersion(1, 12), 1);
});

test('request and response headers round trip', () => {
  for (const h of [
    { apiKey: 0, apiVersion: 9, correlationId: -5, clientId: 'producer-1' },
    { apiKey: 0, apiVersion: 3, correlationId: 1, clientId: null },
    { apiKey: 18, apiVersion: 0, correlationId: 2 ** 31 - 1, clientId: 'é' },
  ]) {
    const w = new Writer();
    writeRequestHeader(w, h);
    const b = w.toBuffer();
    const r = new Reader(b);
    assert.deepEqual(readRequestHeader(r), h);
    assert.equal(r.remaining(), 0);
    // the client id is a classic int16-length string even in header v2
    assert.equal(b.readInt16BE(8), h.clientId === null ? -1 : Buffer.byteLength(h.clientId));
  }
  const w = new Writer();
  writeResponseHeader(w, 3, 9, 77);
  assert.equal(w.toBuffer().toString('hex'), '0000004d00');
  assert.deepEqual(readResponseHeader(new Reader(w.toBuffer()), 3, 9), { correlationId: 77 });
  const w0 = new Writer();
  writeResponseHeader(w0, 18, 3, 77);
  assert.equal(w0.toBuffer().toString('hex'), '0000004d');
});

test("error table follows Kafka's Errors.java", () => {
  assert.equal(Object.keys(KAFKA_ERRORS).length, 130);
  assert.equal(ErrorCodes.NONE, 0);
  assert.equal(ErrorCodes.UNKNOWN_SERVER_ERROR, -1);
  assert.equal(ErrorCodes.OFFSET_OUT_OF_RANGE, 1);
  assert.equal(ErrorCodes.NOT_COORDINATOR, 16);
  assert.equal(ErrorCodes.UNSUPPORTED_VERSION, 35);
  assert.equal(ErrorCodes.INVALID_REQUEST, 42);
  assert.equal(ErrorCodes.PRODUCER_FENCED, 90);
  assert.deepEqual(kafkaErrorByCode(3), {
    name: 'UNKNOWN_TOPIC_OR_PARTITION',
    code: 3,
    retriable: true,
    message: 'This server does not host this topic-partition.',
  });
  // retriable flags as in the protocol documentation
  for (const n of ['NOT_LEADER_OR_FOLLOWER', 'COORDINATOR_LOAD_IN_PROGRESS', 'NOT_ENOUGH_REPLICAS', 'CONCURRENT_TRANSACTIONS', 'REQUEST_TIMED_OUT', 'CORRUPT_MESSAGE'] as const) {
    assert.equal(KAFKA_ERRORS[n].retriable, true, n);
  }
  for (const n of ['OFFSET_OUT_OF_RANGE', 'UNKNOWN_SERVER_ERROR', 'INVALID_PRODUCER_EPOCH', 'REBALANCE_IN_PROGRESS', 'TOPIC_ALREADY_EXISTS', 'UNSUPPORTED_VERSION'] as const) {
    assert.equal(KAFKA_ERRORS[n].retriable, false, n);
  }
  const codes = Object.values(KAFKA_ERRORS).map((e) => e.code);
  assert.equal(new Set(codes).size, codes.length, 'codes are unique');
  assert.equal(kafkaErrorByCode(10000), undefined);
});

test('TributaryError codes map to Kafka numeric codes', () => {
  assert.equal(kafkaErrorCode('CORRUPT_MESSAGE'), 2);
  assert.equal(kafkaErrorCode('INVALID_TOPIC_EXCEPTION'), 17);
  assert.equal(kafkaErrorCode('TRANSACTION_COORDINATOR_FENCED'), 52);
  assert.equal(errorCodeOf(new CorruptRecordError('bad crc')), 2);
  assert.equal(errorCodeOf(new TributaryError('OUT_OF_ORDER_SEQUENCE_NUMBER', 'x')), 45);
  assert.equal(errorCodeOf(new UnsupportedVersionError(0, 99)), 35);
  assert.equal(errorCodeOf(new MalformedMessageError('INVALID_REQUEST', 'x', 0)), 42);
  assert.equal(errorCodeOf(new Error('boom')), -1);
  assert.equal(errorCodeOf('not an error'), -1);
});
