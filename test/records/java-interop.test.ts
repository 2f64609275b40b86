import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import kafkajs from 'kafkajs';
import {
  ATTRIBUTES,
  BATCH_HEADER_SIZE,
  RecordBatch,
  encodeRecordBatch,
  isTransactionMarker,
  isXerialFramed,
  partitionForKey,
  murmur2,
  readControlRecord,
  scanBatches,
  type Compression,
  type ControlRecord,
  type DecodedRecord,
  type RecordInput,
} from '../../src/records/index.js';
import { ensureLibs, findJava } from '../../scripts/kafka/cluster.js';
import { kafkaAvailable, startTestKafka } from '../support/kafka-cluster.js';
import { parseFetchResponse } from './helpers/frames.js';
import { WireClient, fetchV11Body, parseProduceV7Response, produceV7Body } from './helpers/wire.js';

/**
 * The records layer against Apache Kafka itself (Java 17, Kafka 4.4 jars from Maven Central):
 * Kafka's Utils.murmur2 as the partitioner oracle, and a real broker that validates our batches
 * (it decompresses and checks every record of a compressed batch), recompresses them with the Java
 * codecs, stamps LogAppendTime, and writes transaction markers. Skipped, with the reason, when Java
 * or the jars cannot be had. The broker is this file's own (free ports, its own run dir), stopped after.
 */
const { Kafka, logLevel } = kafkajs;
const avail = kafkaAvailable();
const skip = avail.ok ? false : `Apache Kafka cannot run here: ${avail.why}`;
const ORACLE = fileURLToPath(new URL('./helpers/Murmur2Oracle.java', import.meta.url));

test("murmur2 and partitionForKey agree with Kafka's Utils.murmur2 from the kafka-clients jar", { skip }, async () => {
  const libs = await ensureLibs();
  const java = findJava().path;
  assert.ok(java !== undefined);
  const cases = fc.sample(fc.tuple(fc.uint8Array({ maxLength: 48 }), fc.integer({ min: 1, max: 10_000 })), { numRuns: 3000, seed: 20261125 });
  cases.push([Buffer.from('21'), 4], [new Uint8Array(0), 7], [Buffer.from('foobar'), 100]);
  const input = cases.map(([k, n]) => `${k.length === 0 ? '-' : Buffer.from(k).toString('hex')} ${n}`).join('\n') + '\n';
  const r = spawnSync(java, ['-cp', join(libs, '*'), ORACLE], { input, encoding: 'utf8', timeout: 180_000 });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, cases.length);
  lines.forEach((line, i) => {
    const [key, n] = cases[i]!;
    const [hash, partition] = line.split(' ').map(Number);
    assert.equal(murmur2(key), hash, `murmur2 of ${Buffer.from(key).toString('hex')}`);
    assert.equal(partitionForKey(key, n), partition, `partition of ${Buffer.from(key).toString('hex')} among ${n}`);
  });
});

describe('a real Apache Kafka broker', { skip, timeout: 600_000 }, () => {
  let wire: WireClient;
  let kafka: InstanceType<typeof Kafka>;
  let stopCluster: (() => Promise<void>) | undefined;
  const run = `${process.pid}-${Date.now()}`;

  before(async () => {
    const cluster = await startTestKafka({ brokers: 1 });
    stopCluster = cluster.stop;
    const [host, port] = cluster.bootstrap.split(',')[0]!.split(':');
    wire = await WireClient.connect(host!, Number(port));
    kafka = new Kafka({ clientId: 'tributary-records-test', brokers: [cluster.bootstrap], logLevel: logLevel.NOTHING });
  });

  after(async () => {
    wire?.close();
    await stopCluster?.();
  });

  async function createTopic(topic: string, configEntries: { name: string; value: string }[] = []): Promise<void> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1, configEntries }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  }

  async function produce(topic: string, batch: Buffer): Promise<bigint> {
    // A freshly created topic can take a moment to be served by its leader: retry the retriable codes.
    for (let attempt = 0; ; attempt++) {
      const { errorCode, baseOffset } = parseProduceV7Response(await wire.request(0, 7, produceV7Body(topic, 0, batch)));
      if (errorCode === 0) return baseOffset;
      if (![3, 6, 5].includes(errorCode) || attempt >= 50) throw new Error(`Produce to ${topic} failed with error code ${errorCode}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function fetchAll(topic: string, expectedBatches: number): Promise<RecordBatch[]> {
    for (let attempt = 0; ; attempt++) {
      const [part] = parseFetchResponse(await wire.request(1, 11, fetchV11Body(topic, 0, 0n)), 11);
      assert.ok(part !== undefined);
      assert.equal(part.errorCode, 0);
      const data = part.records ?? Buffer.alloc(0);
      const scan = scanBatches(data);
      assert.notEqual(scan.stop, 'corrupt', scan.reason);
      if (scan.batches.length >= expectedBatches || attempt >= 50) {
        return scan.batches.map((s) => new RecordBatch(Buffer.from(data.subarray(s.position, s.position + s.size))));
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  function sampleRecords(): RecordInput[] {
    const now = Date.now();
    return [
      { key: Buffer.from('k1'), value: Buffer.from('{"auction":1001,"price":100}'), timestamp: now - 5, headers: [{ key: 'h1', value: Buffer.from('v1') }] },
      { key: null, value: Buffer.from('no key'), timestamp: now - 7 },
      { key: Buffer.from('tombstone'), value: null, timestamp: now },
      { key: Buffer.alloc(0), value: Buffer.alloc(0), timestamp: now - 1, headers: [{ key: 'null-header', value: null }, { key: 'ключ', value: Buffer.from([0, 255]) }] },
      ...Array.from({ length: 200 }, (_, i) => ({
        key: Buffer.from(`key-${i}`),
        value: Buffer.from(`value ${i} `.repeat(1 + (i % 17))),
        timestamp: now - 1000 + i,
      })),
    ];
  }

  /** Records as a consumer sees them, offsets made relative so batches at any base offset compare. */
  function relative(records: DecodedRecord[], base: number): DecodedRecord[] {
    return records.map((r) => ({ ...r, offset: r.offset - base }));
  }

  const CODECS: Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

  test('accepts our batch in every codec and serves back the same bytes from the CRC on', async () => {
    for (const codec of CODECS) {
      const topic = `records-it-${codec}-${run}`;
      await createTopic(topic);
      const ours = encodeRecordBatch({ records: sampleRecords(), compression: codec });
      const expected = new RecordBatch(ours).records();
      assert.equal(await produce(topic, ours), 0n, codec);
      const [stored] = await fetchAll(topic, 1);
      assert.ok(stored !== undefined, codec);
      stored.verify();
      assert.equal(stored.compression, codec);
      // Kafka kept our bytes: only baseOffset and partitionLeaderEpoch (outside the CRC) are its own.
      assert.deepEqual(stored.buffer.subarray(ATTRIBUTES - 4), ours.subarray(ATTRIBUTES - 4), codec);
      assert.deepEqual(stored.records(), expected, codec);
    }
  });

  test('decodes what Java compressed: gzip, xerial-framed snappy, lz4 frames, zstd without content size', async () => {
    const expected = new RecordBatch(encodeRecordBatch({ records: sampleRecords() }));
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      const topic = `records-it-java-${codec}-${run}`;
      await createTopic(topic, [{ name: 'compression.type', value: codec }]);
      await produce(topic, expected.buffer);
      const [stored] = await fetchAll(topic, 1);
      assert.ok(stored !== undefined, codec);
      stored.verify();
      assert.equal(stored.compression, codec, 'the broker recompressed the batch');
      const payload = stored.buffer.subarray(BATCH_HEADER_SIZE);
      if (codec === 'snappy') assert.equal(isXerialFramed(payload), true, 'Java writes xerial framing');
      if (codec === 'lz4') assert.deepEqual([...payload.subarray(0, 6)], [0x04, 0x22, 0x4d, 0x18, 0x60, 0x40]);
      assert.deepEqual(relative(stored.records(), stored.baseOffset), expected.records(), codec);
      // the records Java compressed are the records we would have written
      assert.deepEqual(new RecordBatch(encodeRecordBatch({ ...stored.toInput(), compression: 'none' })).recordsData(), stored.recordsData());
    }
  });

  test('LogAppendTime topics: the broker stamps maxTimestamp and every record reports it', async () => {
    const topic = `records-it-append-time-${run}`;
    await createTopic(topic, [{ name: 'message.timestamp.type', value: 'LogAppendTime' }]);
    const ours = encodeRecordBatch({ records: sampleRecords().slice(0, 10) });
    const before = Date.now();
    await produce(topic, ours);
    const [stored] = await fetchAll(topic, 1);
    assert.ok(stored !== undefined);
    stored.verify();
    assert.equal(stored.timestampType, 'log-append');
    assert.ok(stored.maxTimestamp >= before - 5000 && stored.maxTimestamp <= Date.now() + 5000);
    const records = stored.records();
    for (const r of records) assert.equal(r.timestamp, stored.maxTimestamp);
    // the stored per-record timestamps are still there for whoever re-encodes the batch
    assert.deepEqual(stored.toInput().records.map((r) => r.timestamp), new RecordBatch(ours).records().map((r) => r.timestamp));
  });

  test('transaction markers written by the Java coordinator read as commit and abort', async () => {
    const topic = `records-it-tx-${run}`;
    await createTopic(topic);
    const producer = kafka.producer({ transactionalId: `records-it-${run}`, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      let tx = await producer.transaction();
      await tx.send({ topic, messages: [{ key: 'k', value: 'committed', partition: 0 }] });
      await tx.commit();
      tx = await producer.transaction();
      await tx.send({ topic, messages: [{ key: 'k', value: 'aborted', partition: 0 }] });
      await tx.abort();
    } finally {
      await producer.disconnect();
    }
    const batches = await fetchAll(topic, 4);
    assert.deepEqual(
      batches.map((b) => [b.isTransactional, b.isControl, b.baseOffset]),
      [
        [true, false, 0],
        [true, true, 1],
        [true, false, 2],
        [true, true, 3],
      ],
    );
    for (const b of batches) b.verify();
    const [data1, commit, data2, abort] = batches;
    assert.deepEqual(data1!.records().map((r) => r.value?.toString()), ['committed']);
    assert.deepEqual(data2!.records().map((r) => r.value?.toString()), ['aborted']);
    const c = readControlRecord(commit!);
    const a = readControlRecord(abort!);
    assert.equal(c.type, 'commit');
    assert.equal(a.type, 'abort');
    const pairs: [ControlRecord, RecordBatch][] = [
      [c, commit!],
      [a, abort!],
    ];
    for (const [m, b] of pairs) {
      assert.ok(isTransactionMarker(m));
      assert.equal(m.producerId, data1!.producerId);
      assert.equal(m.producerEpoch, data1!.producerEpoch);
      assert.equal(m.keyVersion, 0);
      assert.ok(m.coordinatorEpoch >= 0);
      assert.equal(m.offset, b.baseOffset);
      // a marker re-encodes to the bytes Java wrote
      assert.deepEqual(encodeRecordBatch(b.toInput()).subarray(ATTRIBUTES - 4), b.buffer.subarray(ATTRIBUTES - 4));
    }
  });
});
