import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { ApiKeys } from '../../src/protocol/index.js';
import { RawClient, eventually, sleep, startTestBroker, tempDir } from './helpers.js';
import { produce } from './txn-helpers.js';

function client(port: number, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } });
}

interface Closable {
  disconnect(): Promise<void>;
}

/** Every value a kafkajs consumer (its own group) reads from `topic` from the beginning, waiting for `count` of them. */
async function readAll(kafka: Kafka, topic: string, groupId: string, readUncommitted: boolean, count: number, toClose: Closable[]): Promise<string[]> {
  const consumer: Consumer = kafka.consumer({ groupId, readUncommitted, maxWaitTimeInMs: 200, sessionTimeout: 10_000, heartbeatInterval: 500 });
  toClose.push(consumer);
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const values: string[] = [];
  await consumer.run({ eachMessage: async ({ message }) => void values.push(message.value!.toString()) });
  await eventually(() => values.length >= count, 20_000, `${count} records of ${topic} (${readUncommitted ? 'read_uncommitted' : 'read_committed'})`);
  await sleep(500); // nothing more comes
  await consumer.disconnect();
  return values;
}

function errorType(e: unknown): string {
  const err = e as { type?: string; cause?: { type?: string }; originalError?: { type?: string } };
  return err.type ?? err.cause?.type ?? err.originalError?.type ?? String(e);
}

test('kafkajs idempotent producer: sequences tracked per partition; a retried batch is answered with its first offset and not stored twice', async (t) => {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir);
  const toClose: Closable[] = [];
  const raw = await RawClient.connect(broker.port);
  t.after(async () => {
    raw.close();
    for (const c of toClose.reverse()) await c.disconnect().catch(() => {});
    await broker.close();
    cleanup();
  });
  await broker.log.createTopic('idem', { partitions: 1 });
  const producer = client(broker.port, 'kjs-idem').producer({ idempotent: true, maxInFlightRequests: 1 });
  toClose.push(producer);
  await producer.connect();
  for (let round = 0; round < 3; round++) {
    const r = await producer.send({ topic: 'idem', acks: -1, messages: Array.from({ length: 4 }, (_, i) => ({ key: `k${i}`, value: `r${round}-${i}` })) });
    assert.equal(r[0]!.baseOffset, String(round * 4));
  }
  const log = broker.log.partition('idem', 0);
  assert.equal(log.logEndOffset, 12);
  const states = log.producerStates();
  assert.equal(states.length, 1);
  assert.equal(states[0]!.lastSequence, 11);

  // The last batch exactly as kafkajs sent it (the broker only stamped offsets into it), sent again
  // twice back to back, as a producer retrying after lost responses would.
  const read = log.read(8);
  const again = (id: number) =>
    raw.encode(ApiKeys.Produce, 7, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'idem', partitionData: [{ index: 0, records: Buffer.from(read.records) }] }] }, id);
  raw.write([...again(7001), ...again(7002)]);
  const { decodeResponseFrame } = await import('../../src/protocol/index.js');
  for (let i = 0; i < 2; i++) {
    const r = decodeResponseFrame((await raw.next())!, ApiKeys.Produce, 7).body.responses[0]!.partitionResponses[0]!;
    assert.deepEqual([r.errorCode, r.baseOffset], [0, 8n]);
  }
  assert.equal(log.logEndOffset, 12, 'the retries wrote nothing');
  // The producer carries on with its next sequence.
  const next = await producer.send({ topic: 'idem', acks: -1, messages: [{ value: 'after' }] });
  assert.equal(next[0]!.baseOffset, '12');
  // The first batch again: still among the producer's last 5, so a duplicate with its own offset.
  const firstBatch = Buffer.from(log.read(0).records.subarray(0, read.records.length));
  assert.deepEqual(await produce(raw, null, 'idem', 0, firstBatch), [0, 0n]);
  assert.equal(log.logEndOffset, 13);
});

test('kafkajs transactions: commit and abort with sendOffsets; read_committed consumers see only committed records and offsets', async (t) => {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir);
  const toClose: Closable[] = [];
  t.after(async () => {
    for (const c of toClose.reverse()) await c.disconnect().catch(() => {});
    await broker.close();
    cleanup();
  });
  const kafka = client(broker.port, 'kjs-tx');
  const admin = kafka.admin();
  toClose.push(admin);
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'kin', numPartitions: 1 }, { topic: 'kout', numPartitions: 2 }] });

  const producer = kafka.producer({ transactionalId: 'kjs-tx', idempotent: true, maxInFlightRequests: 1, transactionTimeout: 30_000 });
  toClose.push(producer);
  await producer.connect();
  const messages = (prefix: string) => Array.from({ length: 6 }, (_, i) => ({ key: `k${i}`, value: `${prefix}-${i}` }));
  const offsets = (offset: string) => ({ consumerGroupId: 'kgroup', topics: [{ topic: 'kin', partitions: [{ partition: 0, offset }] }] });

  let txn = await producer.transaction();
  await txn.send({ topic: 'kout', messages: messages('committed') });
  await txn.sendOffsets(offsets('5'));
  await txn.commit();

  txn = await producer.transaction();
  await txn.send({ topic: 'kout', messages: messages('aborted') });
  await txn.sendOffsets(offsets('9'));
  // While it is open: the offset is pending (an admin sees the committed one), the LSO held back.
  assert.deepEqual((await admin.fetchOffsets({ groupId: 'kgroup', topics: ['kin'] }))[0]!.partitions, [{ partition: 0, offset: '5', metadata: null }]);
  assert.ok([0, 1].some((p) => broker.log.partition('kout', p).lastStableOffset < broker.log.partition('kout', p).highWatermark));
  await txn.abort();

  txn = await producer.transaction();
  await txn.send({ topic: 'kout', messages: [{ key: 'last', value: 'committed-last' }] });
  await txn.commit();

  assert.deepEqual((await admin.fetchOffsets({ groupId: 'kgroup', topics: ['kin'] }))[0]!.partitions, [{ partition: 0, offset: '5', metadata: null }]);
  const committed = await readAll(kafka, 'kout', 'rc', false, 7, toClose);
  assert.deepEqual(committed.sort(), [...messages('committed').map((m) => m.value), 'committed-last'].sort());
  const everything = await readAll(kafka, 'kout', 'ru', true, 13, toClose);
  assert.deepEqual(everything.sort(), [...messages('committed'), ...messages('aborted')].map((m) => m.value).concat('committed-last').sort());
  for (const p of [0, 1]) {
    const log = broker.log.partition('kout', p);
    assert.equal(log.lastStableOffset, log.highWatermark);
  }
  // The latest offset a read_committed client lists is the LSO; with every transaction ended, the end.
  const listed = await admin.fetchTopicOffsets('kout');
  assert.equal(listed.map((o) => Number(o.high)).reduce((a, b) => a + b), 13 + 5, '13 records and 5 markers (2 + 2 + 1: the last transaction wrote one partition)');
});

test('kafkajs zombie fencing: the older producer of a transactional id cannot send or commit, and nothing it wrote is visible', async (t) => {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir);
  const toClose: Closable[] = [];
  t.after(async () => {
    for (const c of toClose.reverse()) await c.disconnect().catch(() => {});
    await broker.close();
    cleanup();
  });
  const kafka = client(broker.port, 'kjs-zombie');
  const admin = kafka.admin();
  toClose.push(admin);
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'kz', numPartitions: 1 }] });

  const zombie = kafka.producer({ transactionalId: 'kz-tx', idempotent: true, maxInFlightRequests: 1 });
  toClose.push(zombie);
  await zombie.connect();
  const old = await zombie.transaction();
  await old.send({ topic: 'kz', messages: [{ value: 'zombie-1' }] });

  const fresh = kafka.producer({ transactionalId: 'kz-tx', idempotent: true, maxInFlightRequests: 1 });
  toClose.push(fresh);
  await fresh.connect();
  // kafkajs initialises the transactional producer id at its first transaction: InitProducerId
  // bumps the epoch and aborts the zombie's transaction.
  const txn = await fresh.transaction();

  await assert.rejects(old.send({ topic: 'kz', messages: [{ value: 'zombie-2' }] }), (e) => {
    assert.match(errorType(e), /INVALID_PRODUCER_EPOCH|PRODUCER_FENCED/);
    return true;
  });
  await assert.rejects(old.commit(), (e) => {
    assert.match(errorType(e), /INVALID_PRODUCER_EPOCH|PRODUCER_FENCED|INVALID_TXN_STATE|Transaction state exception/);
    return true;
  });

  await txn.send({ topic: 'kz', messages: [{ value: 'fresh-1' }] });
  await txn.commit();
  assert.deepEqual(await readAll(kafka, 'kz', 'kz-reader', false, 1, toClose), ['fresh-1']);
  const d = broker.transactions.describe('kz-tx')!;
  assert.equal(d.state, 'CompleteCommit');
  const log = broker.log.partition('kz', 0);
  assert.equal(log.lastStableOffset, log.highWatermark);
});
