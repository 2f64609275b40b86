// Fixed vectors: 138 whole frames captured from kcat/librdkafka, kafka-python and confluent-kafka
// (requests) and librdkafka's mock cluster (responses). Each is decoded with the generated codecs,
// checked field by field where the capture says what must be there, re-encoded and compared byte
// for byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApiKeys,
  decodeRequestFrame,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  MalformedMessageError,
  readRequestFrameHeader,
  decodeApiVersionsResponse,
  readResponseHeader,
  Reader,
  type DecodedRequest,
  type RequestApiKey,
  type ResponseTypes,
  type Decoded,
} from '../../src/protocol/index.js';
import { batches, show, vectorBytes, vectorIndex, type VectorEntry } from './helpers.js';

const index = vectorIndex();

const CODEC: Record<string, number> = { 'vec-none': 0, 'vec-gzip': 1, 'vec-snappy': 2, 'vec-lz4': 3, 'vec-zstd': 4 };
const KCAT_TOPICS = Object.keys(CODEC);

/**
 * ApiVersions v3 answers of librdkafka 2.0.2's mock cluster: the mock supports ApiVersions up to v2,
 * so it answers UNSUPPORTED_VERSION, but hand-writes a flexible body with a one-byte raw count and
 * no tagged fields (rd_kafka_mock_handle_ApiVersion), which is neither a valid v3 nor a valid v0
 * body. librdkafka only looks at the error code and retries with v0 (the next frame). These must be
 * rejected as malformed, with the error code still readable.
 */
function isMockApiVersionsQuirk(e: VectorEntry): boolean {
  return e.dir === 'response' && e.api_key === 18 && e.api_version === 3;
}

test('index.json lists 138 frames and every file has a correct size prefix', () => {
  assert.equal(index.length, 138);
  for (const e of index) {
    const buf = vectorBytes(e.file);
    assert.equal(buf.readInt32BE(0), buf.length - 4, e.file);
    assert.match(e.file, new RegExp(`-${e.dir === 'request' ? 'req' : 'resp'}-api${e.api_key}-v${e.api_version}-corr${e.correlation_id}\\.bin$`));
  }
});

test('every request frame: header as index.json says, fields checked, re-encoded byte for byte', () => {
  let n = 0;
  for (const e of index.filter((x) => x.dir === 'request')) {
    const buf = vectorBytes(e.file);
    const frame = buf.subarray(4);
    const req = decodeRequestFrame(frame);
    assert.equal(req.apiKey, e.api_key, e.file);
    assert.equal(req.header.apiVersion, e.api_version, e.file);
    assert.equal(req.header.correlationId, e.correlation_id, e.file);
    assert.equal(req.header.clientId, e.client_id, e.file);
    checkRequest(e, req, frame);
    const out = Buffer.concat(encodeRequestFrame(req.header as never, req.body as never));
    assert.ok(out.equals(buf), `${e.file}: re-encoded bytes differ\n${out.toString('hex')}\n${buf.toString('hex')}`);
    n++;
  }
  assert.equal(n, 70);
});

test('every response frame: correlation id as index.json says, fields checked, re-encoded byte for byte', () => {
  let n = 0;
  for (const e of index.filter((x) => x.dir === 'response' && !isMockApiVersionsQuirk(x))) {
    const buf = vectorBytes(e.file);
    const frame = buf.subarray(4);
    const res = decodeResponseFrame(frame, e.api_key as RequestApiKey, e.api_version);
    assert.equal(res.correlationId, e.correlation_id, e.file);
    checkResponse(e, res.body, frame);
    const out = Buffer.concat(
      encodeResponseFrame(e.api_key as RequestApiKey, e.api_version, res.correlationId, res.body as never),
    );
    assert.ok(out.equals(buf), `${e.file}: re-encoded bytes differ\n${out.toString('hex')}\n${buf.toString('hex')}`);
    n++;
  }
  assert.equal(n, 60);
});

test("the mock cluster's ApiVersions v3 answers are rejected as malformed, error code still readable", () => {
  const quirks = index.filter(isMockApiVersionsQuirk);
  assert.equal(quirks.length, 8);
  for (const e of quirks) {
    const frame = vectorBytes(e.file).subarray(4);
    assert.throws(
      () => decodeResponseFrame(frame, 18, 3),
      (err: unknown) => err instanceof MalformedMessageError && err.code === 'CORRUPT_MESSAGE',
      e.file,
    );
    // The v3 body reader gets through the first fields: error 35 (UNSUPPORTED_VERSION), no api keys.
    const r = new Reader(frame, 0, frame.length, 'CORRUPT_MESSAGE');
    assert.equal(readResponseHeader(r, 18, 3).correlationId, e.correlation_id);
    const body = decodeApiVersionsResponse(r, 3);
    assert.equal(body.errorCode, 35);
    assert.deepEqual(body.apiKeys, []);
    assert.ok(r.pos < r.end, 'bytes are left over');
  }
});

test('a request header can be read without decoding the body', () => {
  for (const e of index.filter((x) => x.dir === 'request')) {
    const { header, r } = readRequestFrameHeader(vectorBytes(e.file).subarray(4));
    assert.deepEqual(
      [header.apiKey, header.apiVersion, header.correlationId, header.clientId],
      [e.api_key, e.api_version, e.correlation_id, e.client_id],
    );
    assert.ok(r.pos > 8);
  }
});

test('the vectors cover the APIs the README lists', () => {
  const seen = new Set(index.map((e) => `${e.dir}:${e.api_key}:${e.api_version}`));
  for (const [key, versions] of [
    [0, [7]],
    [1, [4, 11]],
    [2, [1, 2]],
    [3, [0, 1, 2]],
    [8, [2]],
    [9, [1]],
    [10, [0, 2]],
    [11, [2]],
    [12, [1]],
    [13, [1]],
    [14, [1]],
    [18, [0, 3]],
    [22, [4]],
    [24, [0]],
    [26, [1]],
  ] as const) {
    for (const v of versions) assert.ok(seen.has(`request:${key}:${v}`), `request ${key} v${v}`);
  }
});

// ---- field checks ----

/** A records slice must be a view into the frame (no copy) and hold whole v2 batches. */
function checkRecords(records: Buffer | null, frame: Buffer, where: string): ReturnType<typeof batches> {
  assert.ok(records !== null, `${where}: records are null`);
  assert.equal(records.buffer, frame.buffer, `${where}: records were copied`);
  const bs = batches(records);
  for (const b of bs) assert.equal(b.magic, 2, `${where}: magic`);
  return bs;
}

const produced = { testTopicRecords: 0 };

function checkRequest(e: VectorEntry, req: DecodedRequest, frame: Buffer): void {
  const where = `${e.file} ${show(req.body)}`;
  switch (req.apiKey) {
    case ApiKeys.Produce: {
      const b = req.body;
      assert.equal(b.topicData.length, 1, where);
      const t = b.topicData[0]!;
      assert.equal(t.partitionData.length >= 1, true, where);
      if (KCAT_TOPICS.includes(t.name)) {
        assert.equal(b.transactionalId, null);
        assert.equal(b.acks, -1);
        const p = t.partitionData[0]!;
        assert.equal(p.index, 0, where);
        const bs = checkRecords(p.records, frame, where);
        assert.equal(bs.length, 1, where);
        assert.equal(bs[0]!.attributes & 7, CODEC[t.name], `${where}: compression codec`);
        assert.equal(bs[0]!.recordCount, 20, where);
        assert.equal(p.records!.length, bs[0]!.length);
      } else if (t.name === 'test_topic') {
        for (const p of t.partitionData) {
          for (const batch of checkRecords(p.records, frame, where)) {
            assert.equal(batch.attributes & 7, 1, `${where}: kafka-python used gzip`);
            produced.testTopicRecords += batch.recordCount;
          }
        }
      } else {
        assert.equal(t.name, 'vec-tx', where);
        assert.equal(b.transactionalId, 'vec-tx', where);
        const bs = checkRecords(t.partitionData[0]!.records, frame, where);
        assert.ok(bs.every((x) => (x.attributes & 0x10) !== 0), `${where}: transactional bit`);
        assert.ok(bs.every((x) => x.producerId === 378879000n), `${where}: producer id`);
      }
      return;
    }
    case ApiKeys.Fetch: {
      const b = req.body;
      assert.equal(b.replicaId, -1);
      for (const t of b.topics) {
        assert.ok(['vec-lz4', 'test_topic'].includes(t.topic), where);
        for (const p of t.partitions) assert.ok(p.fetchOffset >= 0n, where);
      }
      if (e.api_version === 11) assert.equal(b.isolationLevel, 1, `${where}: librdkafka reads committed`);
      return;
    }
    case ApiKeys.ListOffsets: {
      const p = req.body.topics[0]!.partitions[0]!;
      assert.ok(['vec-lz4', 'test_topic'].includes(req.body.topics[0]!.name), where);
      assert.ok(p.timestamp === -2n || p.timestamp === -1n, `${where}: earliest/latest`);
      return;
    }
    case ApiKeys.Metadata: {
      const topics = req.body.topics;
      if (e.client_id === 'rdkafka') {
        // librdkafka first asks for brokers only (no topic), then for the topic it produces to
        assert.ok(topics !== null && topics.length <= 1, where);
        for (const t of topics) assert.ok([...KCAT_TOPICS, 'vec-tx'].includes(t.name!), where);
      } else if (e.api_version === 1) {
        assert.ok(topics === null || topics.every((t) => t.name === 'test_topic'), where);
      }
      return;
    }
    case ApiKeys.FindCoordinator:
      if (e.client_id === 'rdkafka') {
        assert.equal(req.body.key, 'vec-tx', where);
        assert.equal(req.body.keyType, 1, where);
      } else {
        assert.equal(req.body.key, 'vec-group', where);
        assert.equal(req.body.keyType, 0, where);
      }
      return;
    case ApiKeys.JoinGroup:
      assert.equal(req.body.groupId, 'vec-group');
      assert.equal(req.body.protocolType, 'consumer');
      assert.deepEqual(
        req.body.protocols.map((p) => p.name),
        ['range', 'roundrobin'],
      );
      assert.equal(req.body.memberId, '');
      return;
    case ApiKeys.SyncGroup:
      assert.equal(req.body.groupId, 'vec-group');
      assert.equal(req.body.assignments.length, 1);
      assert.equal(req.body.assignments[0]!.memberId, req.body.memberId);
      return;
    case ApiKeys.Heartbeat:
      assert.equal(req.body.groupId, 'vec-group');
      assert.ok(req.body.generationId > 0);
      return;
    case ApiKeys.OffsetFetch:
      assert.equal(req.body.groupId, 'vec-group');
      assert.deepEqual(req.body.topics, [{ name: 'test_topic', partitionIndexes: [0, 1, 2, 3] }]);
      return;
    case ApiKeys.OffsetCommit: {
      assert.equal(req.body.groupId, 'vec-group');
      const parts = req.body.topics[0]!.partitions;
      assert.equal(req.body.topics[0]!.name, 'test_topic');
      assert.ok(parts.length > 0 && parts.every((p) => p.committedOffset >= 0n), where);
      return;
    }
    case ApiKeys.LeaveGroup:
      assert.equal(req.body.groupId, 'vec-group');
      assert.match(req.body.memberId!, /^0x/);
      return;
    case ApiKeys.ApiVersions:
      if (e.api_version === 3) {
        // kcat sends librdkafka's own name, confluent-kafka-python its name and librdkafka's version
        const sw = `${req.body.clientSoftwareName} ${req.body.clientSoftwareVersion}`;
        assert.ok(['librdkafka 2.0.2', 'confluent-kafka-python 1.7.0-rdkafka-2.0.2'].includes(sw), sw);
      } else {
        assert.equal(req.body.clientSoftwareName, '', 'absent field gets its default');
      }
      return;
    case ApiKeys.InitProducerId:
      assert.equal(req.body.transactionalId, 'vec-tx');
      assert.equal(req.body.producerId, -1n);
      assert.equal(req.body.transactionTimeoutMs, 60000);
      return;
    case ApiKeys.AddPartitionsToTxn:
      assert.equal(req.body.v3AndBelowTransactionalId, 'vec-tx');
      assert.equal(req.body.v3AndBelowProducerId, 378879000n);
      assert.deepEqual(req.body.v3AndBelowTopics?.map((t) => t.name), ['vec-tx']);
      return;
    case ApiKeys.EndTxn:
      assert.equal(req.body.transactionalId, 'vec-tx');
      assert.equal(req.body.committed, true);
      return;
    default:
      assert.fail(`${e.file}: no check for api key ${e.api_key}`);
  }
}

function checkResponse(e: VectorEntry, body: Decoded<ResponseTypes[RequestApiKey]>, frame: Buffer): void {
  const where = `${e.file} ${show(body)}`;
  switch (e.api_key) {
    case ApiKeys.Produce: {
      const b = body as Decoded<ResponseTypes[0]>;
      const p = b.responses[0]!.partitionResponses[0]!;
      assert.equal(p.errorCode, 0, where);
      assert.ok(p.baseOffset >= 0n, where);
      return;
    }
    case ApiKeys.Fetch: {
      const b = body as Decoded<ResponseTypes[1]>;
      for (const t of b.responses) {
        for (const p of t.partitions) {
          assert.equal(p.errorCode, 0, where);
          if (p.records !== null && p.records.length > 0) {
            const bs = checkRecords(p.records, frame, where);
            if (t.topic === 'vec-lz4') {
              assert.equal(bs[0]!.attributes & 7, 3, `${where}: lz4`);
              assert.equal(bs.reduce((a, x) => a + x.recordCount, 0), 20);
            }
          }
        }
      }
      return;
    }
    case ApiKeys.Metadata: {
      const b = body as Decoded<ResponseTypes[3]>;
      assert.deepEqual(
        b.brokers.map((x) => x.host),
        ['127.0.0.1'],
      );
      // a client's first Metadata request may ask for no topic (brokers only)
      for (const t of b.topics) {
        assert.equal(t.errorCode, 0, where);
        assert.ok(t.partitions.length >= 1, where);
        assert.ok(t.partitions.every((p) => p.leaderId === 1), where);
      }
      return;
    }
    case ApiKeys.ApiVersions: {
      const b = body as Decoded<ResponseTypes[18]>;
      assert.equal(b.errorCode, 0);
      const av = b.apiKeys.find((k) => k.apiKey === 18);
      assert.deepEqual(av, { apiKey: 18, minVersion: 0, maxVersion: 2 });
      return;
    }
    case ApiKeys.FindCoordinator: {
      const b = body as Decoded<ResponseTypes[10]>;
      assert.equal(b.errorCode, 0);
      assert.equal(b.host, '127.0.0.1');
      return;
    }
    case ApiKeys.JoinGroup: {
      const b = body as Decoded<ResponseTypes[11]>;
      assert.equal(b.errorCode, 0);
      assert.equal(b.protocolName, 'range');
      assert.equal(b.leader, b.memberId);
      assert.equal(b.members.length, 1);
      return;
    }
    case ApiKeys.SyncGroup: {
      const b = body as Decoded<ResponseTypes[14]>;
      assert.equal(b.errorCode, 0);
      assert.ok(b.assignment.length > 0);
      assert.equal(b.assignment.buffer, frame.buffer, 'bytes are views of the frame');
      return;
    }
    case ApiKeys.OffsetFetch: {
      const b = body as Decoded<ResponseTypes[9]>;
      assert.deepEqual(
        b.topics[0]!.partitions.map((p) => p.partitionIndex),
        [0, 1, 2, 3],
      );
      return;
    }
    case ApiKeys.InitProducerId: {
      const b = body as Decoded<ResponseTypes[22]>;
      assert.equal(b.errorCode, 0);
      assert.equal(b.producerId, 378879000n);
      return;
    }
    case ApiKeys.AddPartitionsToTxn: {
      const b = body as Decoded<ResponseTypes[24]>;
      assert.equal(b.resultsByTopicV3AndBelow![0]!.name, 'vec-tx');
      return;
    }
    case ApiKeys.OffsetCommit:
    case ApiKeys.ListOffsets:
    case ApiKeys.Heartbeat:
    case ApiKeys.LeaveGroup:
    case ApiKeys.EndTxn: {
      // every error code in the body is 0
      const codes: number[] = [];
      JSON.stringify(body, (k, v: unknown) => {
        if (k === 'errorCode' || k === 'partitionErrorCode') codes.push(v as number);
        return typeof v === 'bigint' ? String(v) : v;
      });
      assert.ok(codes.length > 0 && codes.every((c) => c === 0), where);
      return;
    }
    default:
      assert.fail(`${e.file}: no check for api key ${e.api_key}`);
  }
}

test('kafka-python produced its 20 records to test_topic', () => {
  // filled by the request test above (node:test runs tests of a file in order)
  assert.equal(produced.testTopicRecords, 20);
});
