import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BATCH_HEADER_SIZE,
  CRC,
  CorruptRecordError,
  RecordBatch,
  decompress,
  encodeControlBatch,
  encodeRecordBatch,
  iterateBatches,
  partitionForKey,
  readControlRecord,
  scanBatches,
  verifyBatch,
  type Compression,
  type DecodedRecord,
} from '../../src/records/index.js';
import { frameIndex, parseFetchResponse, parseProduceRequest, readFrame, type PartitionRecords } from './helpers/frames.js';

/**
 * Batches written by real clients (kcat / librdkafka 2.0.2, kafka-python 2.0.2, confluent-kafka 1.7.0),
 * captured on the wire. See ../shared/test-vectors/kafka-frames/README.md for what each client sent.
 */

const KCAT: [string, Compression][] = [
  ['c01-req-api0-v7-corr4.bin', 'none'],
  ['c02-req-api0-v7-corr4.bin', 'gzip'],
  ['c03-req-api0-v7-corr4.bin', 'snappy'],
  ['c04-req-api0-v7-corr4.bin', 'lz4'],
  ['c05-req-api0-v7-corr4.bin', 'zstd'],
];

function nexmarkValue(i: number): string {
  return `{"auction":${1000 + i},"bidder":${2000 + i},"price":${100 * i},"channel":"Google","url":"https://www.nexmark.com/item.htm?query=1"}`;
}

function pythonValue(i: number): string {
  return `msg-${i} ` + 'the quick brown fox '.repeat(5);
}

function onlyBatch(records: Buffer | null): RecordBatch {
  assert.ok(records !== null, 'records present');
  const scan = scanBatches(records);
  assert.equal(scan.stop, 'end');
  assert.equal(scan.batches.length, 1, 'one batch');
  assert.equal(scan.end, records.length);
  return RecordBatch.at(records, 0);
}

function show(r: DecodedRecord): { offset: number; key: string | null; value: string | null; headers: [string, string | null][] } {
  return {
    offset: r.offset,
    key: r.key?.toString('utf8') ?? null,
    value: r.value?.toString('utf8') ?? null,
    headers: r.headers.map((h) => [h.key, h.value?.toString('utf8') ?? null]),
  };
}

/** Every batch in every Produce request and Fetch response of the capture. */
function allCapturedBatches(): { file: string; part: PartitionRecords }[] {
  const out: { file: string; part: PartitionRecords }[] = [];
  for (const f of frameIndex()) {
    let parts: PartitionRecords[] = [];
    if (f.api_key === 0 && f.dir === 'request') parts = parseProduceRequest(readFrame(f.file)).partitions;
    if (f.api_key === 1 && f.dir === 'response') parts = parseFetchResponse(readFrame(f.file), f.api_version);
    for (const part of parts) if (part.records !== null && part.records.length > 0) out.push({ file: f.file, part });
  }
  return out;
}

test('the capture holds the batches the README describes', () => {
  const found = allCapturedBatches().map(({ file, part }) => `${file}:${part.topic}/${part.partition}`);
  // 5 kcat produces, 1 kcat fetch, kafka-python produce + fetch over 4 partitions, 1 transactional produce
  assert.equal(found.length, 5 + 1 + 4 + 4 + 1, found.join('\n'));
});

for (const [file, codec] of KCAT) {
  test(`kcat ${codec}: the batch decodes to the 20 records it sent, with a valid CRC`, () => {
    const req = parseProduceRequest(readFrame(file));
    assert.equal(req.clientId, 'rdkafka');
    assert.equal(req.transactionalId, null);
    assert.deepEqual(req.partitions.map((p) => [p.topic, p.partition]), [[`vec-${codec}`, 0]]);
    const b = onlyBatch(req.partitions[0]!.records);
    b.verify();
    assert.equal(b.compression, codec);
    assert.equal(b.recordCount, 20);
    assert.equal(b.baseOffset, 0);
    assert.equal(b.lastOffsetDelta, 19);
    assert.equal(b.producerId, -1);
    assert.equal(b.producerEpoch, -1);
    assert.equal(b.baseSequence, -1);
    assert.equal(b.isTransactional, false);
    assert.equal(b.isControl, false);
    assert.equal(b.timestampType, 'create');
    const records = b.records();
    assert.deepEqual(
      records.map(show),
      Array.from({ length: 20 }, (_, j) => ({ offset: j, key: `k${j + 1}`, value: nexmarkValue(j + 1), headers: [['h1', 'v1']] })),
    );
    // kcat stamps the whole batch with one produce time
    for (const r of records) assert.equal(r.timestamp, b.baseTimestamp);
    assert.equal(b.maxTimestamp, b.baseTimestamp);
    assert.ok(b.baseTimestamp > 1_700_000_000_000 && b.baseTimestamp < 2_000_000_000_000);
  });

  test(`kcat ${codec}: re-encoding reproduces the bytes (the records bytes when compressed)`, () => {
    const b = onlyBatch(parseProduceRequest(readFrame(file)).partitions[0]!.records);
    const input = b.toInput();
    if (codec === 'none') {
      assert.deepEqual(encodeRecordBatch(input), b.buffer);
      return;
    }
    // Compressors differ between librdkafka and our bindings, so compare what was compressed.
    const raw = decompress(codec, b.buffer.subarray(BATCH_HEADER_SIZE));
    assert.deepEqual(raw, b.recordsData());
    const plain = new RecordBatch(encodeRecordBatch({ ...input, compression: 'none' }));
    assert.deepEqual(plain.recordsData(), raw);
    // The uncompressed re-encoding equals the kcat 'none' batch apart from the timestamps kcat took.
    const ours = new RecordBatch(encodeRecordBatch(input));
    ours.verify();
    assert.equal(ours.compression, codec);
    assert.deepEqual(ours.records(), b.records());
    assert.deepEqual(ours.toInput(), input);
  });
}

test('kcat: the five codecs carry the same records bytes apart from the timestamps', () => {
  const sections = KCAT.map(([file]) => {
    const input = onlyBatch(parseProduceRequest(readFrame(file)).partitions[0]!.records).toInput();
    return new RecordBatch(encodeRecordBatch({ ...input, compression: 'none', baseTimestamp: 0, maxTimestamp: 0, records: input.records.map((r) => ({ ...r, timestamp: 0 })) })).buffer;
  });
  for (const s of sections.slice(1)) assert.deepEqual(s, sections[0]);
});

test('kcat Fetch v11 response returns the lz4 batch it produced', () => {
  const produced = onlyBatch(parseProduceRequest(readFrame('c04-req-api0-v7-corr4.bin')).partitions[0]!.records);
  const parts = parseFetchResponse(readFrame('c06-resp-api1-v11-corr6.bin'), 11);
  assert.deepEqual(parts.map((p) => [p.topic, p.partition, p.errorCode]), [['vec-lz4', 0, 0]]);
  const fetched = onlyBatch(parts[0]!.records);
  fetched.verify();
  assert.equal(fetched.compression, 'lz4');
  assert.deepEqual(fetched.records(), produced.records());
  // the broker stored the batch as produced: same bytes from the CRC on
  assert.deepEqual(fetched.buffer.subarray(CRC), produced.buffer.subarray(CRC));
});

test('kafka-python gzip produce: 20 records over 4 partitions, each where the Java partitioner puts its key', () => {
  const req = parseProduceRequest(readFrame('c08-req-api0-v7-corr2.bin'));
  assert.equal(req.clientId, 'kafka-python-producer-1');
  const seen = new Map<string, string>();
  for (const part of req.partitions) {
    assert.equal(part.topic, 'test_topic');
    const b = onlyBatch(part.records);
    b.verify();
    assert.equal(b.compression, 'gzip');
    let expectedOffset = 0;
    for (const r of b.records()) {
      assert.equal(r.offset, expectedOffset++);
      const key = r.key!.toString();
      const i = Number(key.slice(1));
      assert.equal(key, `k${i}`);
      assert.equal(r.value!.toString(), pythonValue(i));
      assert.deepEqual(r.headers.map((h) => [h.key, h.value?.toString()]), [['h', 'v']]);
      assert.equal(partitionForKey(r.key!, 4), part.partition, `partition of ${key}`);
      seen.set(key, r.value!.toString());
    }
    const plain = new RecordBatch(encodeRecordBatch({ ...b.toInput(), compression: 'none' }));
    assert.deepEqual(plain.recordsData(), b.recordsData());
  }
  assert.deepEqual([...seen.keys()].sort(), Array.from({ length: 20 }, (_, i) => `k${i}`).sort());
});

test('kafka-python Fetch v4 response returns the gzip batches it produced', () => {
  const produced = new Map(
    parseProduceRequest(readFrame('c08-req-api0-v7-corr2.bin')).partitions.map((p) => [p.partition, onlyBatch(p.records).records()]),
  );
  const parts = parseFetchResponse(readFrame('c12-resp-api1-v4-corr6.bin'), 4);
  assert.equal(parts.length, 4);
  for (const p of parts) {
    const b = onlyBatch(p.records);
    b.verify();
    assert.deepEqual(b.records(), produced.get(p.partition));
  }
});

test('confluent-kafka transactional produce: idempotent, transactional batch that re-encodes exactly', () => {
  const req = parseProduceRequest(readFrame('c13-req-api0-v7-corr7.bin'));
  assert.equal(req.transactionalId, 'vec-tx');
  assert.equal(req.partitions.length, 1);
  assert.equal(req.partitions[0]!.topic, 'vec-tx');
  const b = onlyBatch(req.partitions[0]!.records);
  b.verify();
  assert.equal(b.isTransactional, true);
  assert.equal(b.isControl, false);
  assert.equal(b.compression, 'none');
  assert.equal(b.producerEpoch, 0);
  assert.equal(b.baseSequence, 0);
  assert.equal(b.lastSequence, 0);
  // the producer id InitProducerId handed out, as the EndTxn request repeats it
  const endTxn = readFrame('c14-req-api26-v1-corr6.bin');
  const idLen = endTxn.readInt16BE(12);
  const at = 14 + idLen; // size, api key, version, correlation id, client id
  assert.equal(endTxn.toString('utf8', at + 2, at + 2 + endTxn.readInt16BE(at)), 'vec-tx');
  const pidAt = at + 2 + endTxn.readInt16BE(at);
  assert.equal(b.producerId, Number(endTxn.readBigInt64BE(pidAt)));
  assert.equal(b.producerId, 378879000);
  const committed = endTxn.readInt8(pidAt + 10);
  assert.equal(committed, 1);
  assert.deepEqual(b.records().map(show), [{ offset: 0, key: 'k', value: 'committed', headers: [] }]);
  assert.deepEqual(encodeRecordBatch(b.toInput()), b.buffer);

  // The marker a coordinator writes for that EndTxn.
  const marker = new RecordBatch(
    encodeControlBatch({ type: 'commit', producerId: b.producerId, producerEpoch: b.producerEpoch, coordinatorEpoch: 0, timestamp: b.maxTimestamp, baseOffset: 1 }),
  );
  marker.verify();
  assert.deepEqual(
    { ...readControlRecord(marker) },
    { type: 'commit', typeId: 1, keyVersion: 0, valueVersion: 0, coordinatorEpoch: 0, offset: 1, timestamp: b.maxTimestamp, producerId: 378879000, producerEpoch: 0 },
  );
});

test('every captured batch: CRC valid, and a flipped bit after the CRC field fails verify', () => {
  for (const { file, part } of allCapturedBatches()) {
    for (const span of scanBatches(part.records!).batches) {
      const bytes = Buffer.from(part.records!.subarray(span.position, span.position + span.size));
      verifyBatch(bytes);
      // every bit of the small batches, every bit of every 5th byte of the larger ones (keeps it ~1 s)
      const step = bytes.length > 300 ? 5 : 1;
      for (let i = CRC; i < bytes.length; i += step) {
        for (let bit = 0; bit < 8; bit++) {
          bytes[i]! ^= 1 << bit;
          assert.throws(() => verifyBatch(bytes), CorruptRecordError, `${file} byte ${i} bit ${bit}`);
          bytes[i]! ^= 1 << bit;
        }
      }
      verifyBatch(bytes);
    }
  }
});

test('captured batches concatenated like a segment: scanned without decoding; a cut-off tail is reported', () => {
  const batches = allCapturedBatches().map(({ part }) => part.records!);
  const log = Buffer.concat(batches);
  const scan = scanBatches(log);
  assert.equal(scan.stop, 'end');
  assert.deepEqual(scan.batches.map((s) => s.size), batches.map((b) => b.length));
  let pos = 0;
  for (const s of scan.batches) {
    assert.equal(s.position, pos);
    pos += s.size;
  }
  assert.equal([...iterateBatches(log)].reduce((n, b) => n + b.recordCount, 0), 20 * 6 + 20 * 2 + 1);

  // Kafka's fetch may cut the last batch anywhere: every cut is reported, none throws
  const lastStart = scan.batches[scan.batches.length - 1]!.position;
  for (let cut = lastStart; cut < log.length; cut++) {
    const partial = scanBatches(log, 0, cut);
    assert.equal(partial.batches.length, batches.length - 1);
    assert.equal(partial.end, lastStart);
    if (cut === lastStart) {
      assert.equal(partial.stop, 'end');
      assert.equal(partial.trailingBytes, 0);
    } else {
      assert.equal(partial.stop, 'partial');
      assert.equal(partial.trailingBytes, cut - lastStart);
      assert.equal(partial.trailingSize, cut - lastStart >= 12 ? scan.batches[scan.batches.length - 1]!.size : -1);
    }
    assert.equal([...iterateBatches(log, 0, cut)].length, batches.length - 1);
  }
});
