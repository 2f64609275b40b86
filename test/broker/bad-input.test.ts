import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKeys, ErrorCodes, decodeResponseFrame } from '../../src/protocol/index.js';
import { CRC, encodeRecordBatch } from '../../src/records/index.js';
import { RawClient, startTestBroker, tempDir } from './helpers.js';

function batch(values: string[], size = 0): Buffer {
  return encodeRecordBatch({
    records: values.map((v, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(v + 'x'.repeat(size)), timestamp: 1_700_000_000_000 + i })),
  });
}

function flipBit(buf: Buffer, at: number, mask: number): void {
  buf.writeUInt8(buf.readUInt8(at) ^ mask, at);
}

function produceBody(topic: string, partitions: { index: number; records: Buffer | null }[], acks = -1) {
  return { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: partitions }] };
}

async function withBroker(t: { after: (fn: () => unknown) => void }, options: Parameters<typeof startTestBroker>[1] = {}) {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir, options);
  t.after(async () => {
    await broker.close();
    cleanup();
  });
  return broker;
}

async function assertServes(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    const r = await c.request(ApiKeys.ApiVersions, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    assert.equal(r.errorCode, 0);
  } finally {
    c.close();
  }
}

test('a frame declaring 2 GB closes that connection at once; the broker keeps serving others', async (t) => {
  const broker = await withBroker(t);
  const other = await RawClient.connect(broker.port);
  t.after(() => other.close());
  const heapBefore = process.memoryUsage().arrayBuffers;
  const bad = await RawClient.connect(broker.port);
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(0x7fffffff);
  bad.write(prefix);
  assert.equal(await bad.waitClosed(), true, 'connection closed');
  // Nothing near the declared size was allocated.
  assert.ok(process.memoryUsage().arrayBuffers - heapBefore < 64 * 1024 * 1024);
  const r = await other.request(ApiKeys.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  assert.equal(r.brokers[0]!.port, broker.port);
  assert.ok(broker.logger.lines.some((l) => l.includes('frame size 2147483647')));

  // A negative size, and one just above a lowered maximum, are refused the same way.
  const neg = await RawClient.connect(broker.port);
  neg.write(Buffer.from([0xff, 0xff, 0xff, 0xf0]));
  assert.equal(await neg.waitClosed(), true);
  await assertServes(broker.port);
});

test('frame size limit is configurable: one byte above it closes, at it is read', async (t) => {
  const broker = await withBroker(t, { maxFrameBytes: 1024 });
  const c = await RawClient.connect(broker.port);
  const big = Buffer.alloc(4 + 1025);
  big.writeInt32BE(1025);
  c.write(big);
  assert.equal(await c.waitClosed(), true);
  const ok = await RawClient.connect(broker.port);
  t.after(() => ok.close());
  // A 1024-byte frame is within the limit: it is decoded (and, being garbage, refused by closing).
  const frame = Buffer.alloc(4 + 1024);
  frame.writeInt32BE(1024);
  frame.writeInt16BE(ApiKeys.ApiVersions, 4);
  frame.writeInt16BE(3, 6);
  ok.write(frame);
  assert.equal(await ok.waitClosed(), true);
  await assertServes(broker.port);
});

test('truncated, garbage and unknown-api requests close only their connection, never crash the broker', async (t) => {
  const broker = await withBroker(t);
  const cases: [string, Buffer][] = [];
  // A Metadata v1 header followed by an array count of 5 and no topics.
  const truncated = Buffer.alloc(4 + 8 + 2 + 4 + 4);
  let at = truncated.writeInt32BE(truncated.length - 4, 0);
  at = truncated.writeInt16BE(ApiKeys.Metadata, at);
  at = truncated.writeInt16BE(1, at);
  at = truncated.writeInt32BE(7, at);
  at = truncated.writeInt16BE(4, at);
  truncated.write('test', at);
  truncated.writeInt32BE(5, at + 4);
  cases.push(['truncated body', truncated]);
  // Random bytes after a plausible size.
  const garbage = Buffer.alloc(4 + 64);
  garbage.writeInt32BE(64);
  for (let i = 4; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) & 0xff;
  cases.push(['garbage', garbage]);
  // A header shorter than a header.
  cases.push(['short header', Buffer.from([0, 0, 0, 3, 0, 18, 0])]);
  // An api key no Kafka has.
  const unknown = Buffer.alloc(4 + 10);
  unknown.writeInt32BE(10);
  unknown.writeInt16BE(999, 4);
  unknown.writeInt16BE(0, 6);
  unknown.writeInt32BE(1, 8);
  unknown.writeInt16BE(-1, 12);
  cases.push(['unknown api key', unknown]);
  // Produce at a version no codec has.
  const c0 = await RawClient.connect(broker.port);
  const produce99 = Buffer.concat(c0.encode(ApiKeys.Produce, 9, produceBody('t', [{ index: 0, records: batch(['a']) }])));
  c0.close();
  produce99.writeInt16BE(99, 6);
  cases.push(['unsupported Produce version', produce99]);

  for (const [what, bytes] of cases) {
    const c = await RawClient.connect(broker.port);
    c.write(bytes);
    const answer = await c.next(5000);
    assert.equal(answer, null, `${what}: the broker closes the connection without answering`);
    await assertServes(broker.port);
  }
  assert.equal(broker.log.hasTopic('t'), false, 'nothing of the refused produce was applied');
});

test('ApiVersions of an unknown version gets UNSUPPORTED_VERSION in the v0 layout with its own range', async (t) => {
  const broker = await withBroker(t);
  const c = await RawClient.connect(broker.port);
  t.after(() => c.close());
  const frame = Buffer.concat(c.encode(ApiKeys.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }, 42));
  frame.writeInt16BE(77, 6); // version 77, flexible header as the client would send
  c.write(frame);
  const answer = await c.next();
  assert.ok(answer !== null);
  const r = decodeResponseFrame(answer, ApiKeys.ApiVersions, 0);
  assert.equal(r.correlationId, 42);
  assert.equal(r.body.errorCode, ErrorCodes.UNSUPPORTED_VERSION);
  assert.deepEqual(r.body.apiKeys, [{ apiKey: 18, minVersion: 0, maxVersion: 4 }]);
  // The connection stays usable, as for a client that retries with a lower version.
  const ok = await c.request(ApiKeys.ApiVersions, 2, {});
  assert.equal(ok.errorCode, 0);
  const produce = ok.apiKeys.find((k) => k.apiKey === ApiKeys.Produce)!;
  assert.equal(produce.minVersion, 0, 'librdkafka needs Produce from v0');
  assert.ok(ok.apiKeys.find((k) => k.apiKey === ApiKeys.Fetch)!.maxVersion >= 11, 'kafka-python needs Fetch >= 11 advertised');
});

test('produce errors are per partition: unknown partition, corrupt batch (nothing written), oversized batch', async (t) => {
  const broker = await withBroker(t);
  await broker.log.createTopic('p', { partitions: 2, config: { 'max.message.bytes': 2000 } });
  const c = await RawClient.connect(broker.port);
  t.after(() => c.close());

  const good = batch(['one', 'two']);
  const corrupt = batch(['three']);
  flipBit(corrupt, corrupt.length - 2, 0x10); // a flipped bit in the records, under the CRC
  assert.notEqual(corrupt.readUInt32BE(CRC), 0);
  const big = batch(['big'], 3000);

  const r = await c.request(ApiKeys.Produce, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [
      {
        name: 'p',
        partitionData: [
          { index: 0, records: good },
          { index: 1, records: corrupt },
          { index: 7, records: batch(['x']) },
        ],
      },
      { name: 'p', partitionData: [{ index: 1, records: big }] },
    ],
  });
  const [first, second] = r.responses;
  assert.deepEqual(
    first!.partitionResponses.map((p) => [p.index, p.errorCode]),
    [
      [0, ErrorCodes.NONE],
      [1, ErrorCodes.CORRUPT_MESSAGE],
      [7, ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION],
    ],
  );
  assert.equal(first!.partitionResponses[0]!.baseOffset, 0n);
  assert.match(first!.partitionResponses[1]!.errorMessage ?? '', /CRC/);
  assert.equal(second!.partitionResponses[0]!.errorCode, ErrorCodes.MESSAGE_TOO_LARGE);
  assert.equal(broker.log.partition('p', 0).logEndOffset, 2);
  assert.equal(broker.log.partition('p', 1).logEndOffset, 0, 'nothing of the corrupt or oversized batch was written');

  // No records at all, and an acks value Kafka does not know.
  const empty = await c.request(ApiKeys.Produce, 9, produceBody('p', [{ index: 0, records: null }]));
  assert.equal(empty.responses[0]!.partitionResponses[0]!.errorCode, ErrorCodes.INVALID_RECORD);
  const acks2 = await c.request(ApiKeys.Produce, 9, produceBody('p', [{ index: 0, records: batch(['a']) }], 2));
  assert.equal(acks2.responses[0]!.partitionResponses[0]!.errorCode, ErrorCodes.INVALID_REQUIRED_ACKS);
  // Internal topics are not for clients.
  const internal = await c.request(ApiKeys.Produce, 9, produceBody('__consumer_offsets', [{ index: 0, records: batch(['a']) }]));
  assert.equal(internal.responses[0]!.partitionResponses[0]!.errorCode, ErrorCodes.INVALID_TOPIC_EXCEPTION);
  assert.equal(broker.log.partition('p', 0).logEndOffset, 2);
});

test('with auto-creation off, unknown topics are UNKNOWN_TOPIC_OR_PARTITION for Produce and Metadata', async (t) => {
  const broker = await withBroker(t, { autoCreateTopics: false });
  const c = await RawClient.connect(broker.port);
  t.after(() => c.close());
  const r = await c.request(ApiKeys.Produce, 9, produceBody('nope', [{ index: 0, records: batch(['a']) }]));
  assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION);
  const m = await c.request(ApiKeys.Metadata, 9, { topics: [{ name: 'nope' }], allowAutoTopicCreation: true });
  assert.equal(m.topics[0]!.errorCode, ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION);
  const bad = await c.request(ApiKeys.Metadata, 9, { topics: [{ name: 'bad name!' }], allowAutoTopicCreation: true });
  assert.notEqual(bad.topics[0]!.errorCode, ErrorCodes.NONE);
  assert.equal(broker.log.hasTopic('nope'), false);
});

test('acks=0 produce gets no response; a failed one closes the connection', async (t) => {
  const broker = await withBroker(t);
  await broker.log.createTopic('z');
  const c = await RawClient.connect(broker.port);
  t.after(() => c.close());
  c.write(c.encode(ApiKeys.Produce, 9, produceBody('z', [{ index: 0, records: batch(['fire', 'forget']) }], 0), 100));
  // The next response is the Metadata's: the produce had none.
  c.write(c.encode(ApiKeys.Metadata, 12, { topics: [{ name: 'z', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }] }, 101));
  const frame = await c.next();
  assert.equal(decodeResponseFrame(frame!, ApiKeys.Metadata, 12).correlationId, 101);
  assert.equal(broker.log.partition('z', 0).logEndOffset, 2);

  const corrupt = batch(['bad']);
  flipBit(corrupt, corrupt.length - 1, 1);
  c.write(c.encode(ApiKeys.Produce, 9, produceBody('z', [{ index: 0, records: corrupt }], 0)));
  assert.equal(await c.waitClosed(), true);
  assert.equal(broker.log.partition('z', 0).logEndOffset, 2);
});

test('pipelined requests are answered in order, also behind a long-polling Fetch that a produce wakes', async (t) => {
  const broker = await withBroker(t);
  await broker.log.createTopic('lp');
  const c = await RawClient.connect(broker.port);
  const producer = await RawClient.connect(broker.port);
  t.after(() => {
    c.close();
    producer.close();
  });
  const fetchBody = {
    replicaId: -1,
    maxWaitMs: 10_000,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic: 'lp', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  };
  const started = Date.now();
  c.write([
    ...c.encode(ApiKeys.Fetch, 11, fetchBody, 1),
    ...c.encode(ApiKeys.ApiVersions, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' }, 2),
    ...c.encode(ApiKeys.Metadata, 1, { topics: null }, 3),
  ]);
  setTimeout(() => {
    void producer.request(ApiKeys.Produce, 7, produceBody('lp', [{ index: 0, records: batch(['wake', 'up']) }]));
  }, 300);
  const ids: number[] = [];
  for (const [api, v] of [
    [ApiKeys.Fetch, 11],
    [ApiKeys.ApiVersions, 3],
    [ApiKeys.Metadata, 1],
  ] as const) {
    const frame = await c.next(15_000);
    assert.ok(frame !== null);
    const decoded = decodeResponseFrame(frame, api, v);
    ids.push(decoded.correlationId);
    if (api === ApiKeys.Fetch) {
      const part = (decoded.body as { responses: { partitions: { records: Buffer | null; highWatermark: bigint }[] }[] }).responses[0]!.partitions[0]!;
      assert.ok(part.records !== null && part.records.length > 0, 'the fetch returns the produced batch');
      assert.equal(part.highWatermark, 2n);
    }
  }
  assert.deepEqual(ids, [1, 2, 3]);
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 5000, `the produce woke the fetch (after ${elapsed} ms, maxWait 10 s)`);
});

test('a Fetch long poll ends at maxWaitMs with nothing, and when its connection closes', async (t) => {
  const broker = await withBroker(t);
  await broker.log.createTopic('w');
  const c = await RawClient.connect(broker.port);
  t.after(() => c.close());
  const body = {
    maxWaitMs: 300,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 1,
    topics: [{ topic: 'w', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
  };
  const t0 = Date.now();
  const r = await c.request(ApiKeys.Fetch, 11, body);
  const took = Date.now() - t0;
  assert.ok(took >= 280 && took < 3000, `waited ${took} ms`);
  assert.equal(r.responses[0]!.partitions[0]!.records?.length ?? 0, 0);
  assert.deepEqual(r.responses[0]!.partitions[0]!.abortedTransactions, [], 'read_committed: an empty aborted list');

  // A fetch parked for a minute is dropped with its connection; close() does not wait for it.
  const d = await RawClient.connect(broker.port);
  d.write(d.encode(ApiKeys.Fetch, 11, { ...body, maxWaitMs: 60_000 }));
  await new Promise((r2) => setTimeout(r2, 100));
  d.close();
  const out = await c.request(ApiKeys.Fetch, 4, { ...body, maxWaitMs: 0 });
  assert.equal(out.responses[0]!.partitions[0]!.errorCode, 0);
  // Offsets past the end are OFFSET_OUT_OF_RANGE with the log's bounds.
  const oor = await c.request(ApiKeys.Fetch, 11, { ...body, topics: [{ topic: 'w', partitions: [{ partition: 0, fetchOffset: 5n, partitionMaxBytes: 100 }] }] });
  assert.equal(oor.responses[0]!.partitions[0]!.errorCode, ErrorCodes.OFFSET_OUT_OF_RANGE);
  assert.equal(oor.responses[0]!.partitions[0]!.highWatermark, 0n);
  // An incremental fetch session this broker never created.
  const s = await c.request(ApiKeys.Fetch, 11, { ...body, sessionId: 1234, sessionEpoch: 3 });
  assert.equal(s.errorCode, ErrorCodes.FETCH_SESSION_ID_NOT_FOUND);
});

test('pipelined produces under fsync=always overlap their fsyncs yet answer in order with increasing offsets', async (t) => {
  const broker = await withBroker(t, { logOptions: { fsync: 'always' } });
  await broker.log.createTopic('seq');
  const c = await RawClient.connect(broker.port);
  t.after(() => c.close());
  const frames: Buffer[] = [];
  for (let i = 0; i < 30; i++) frames.push(...c.encode(ApiKeys.Produce, 9, produceBody('seq', [{ index: 0, records: batch([`m${i}`, `n${i}`]) }]), 1000 + i));
  c.write(frames);
  const offsets: bigint[] = [];
  for (let i = 0; i < 30; i++) {
    const frame = await c.next();
    const r = decodeResponseFrame(frame!, ApiKeys.Produce, 9);
    assert.equal(r.correlationId, 1000 + i);
    const p = r.body.responses[0]!.partitionResponses[0]!;
    assert.equal(p.errorCode, 0);
    offsets.push(p.baseOffset);
  }
  assert.deepEqual(offsets, Array.from({ length: 30 }, (_, i) => BigInt(2 * i)));
  const log = broker.log.partition('seq', 0);
  assert.equal(log.recoveryPoint, 60, 'everything acknowledged was fdatasynced');
  assert.ok(log.fsyncCount < 30, `${log.fsyncCount} fsyncs for 30 pipelined produces (group commit)`);
});
