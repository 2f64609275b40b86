// What the Kafka client counts for the scale bench (bench/scale.ts: requests per 1,000 events by
// API, records produced and offsets fetched per topic), on `tributary broker`: the counts follow
// the requests and records a transactional produce-and-read really makes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaLog, kafka } from '../../../src/connectors/index.js';
import { ApiKeys } from '../../../src/protocol/api-keys.js';
import { startTestBroker, tempDir } from '../../broker/helpers.js';

const dir = tempDir('tributary-client-counts-');
const brokerReady = startTestBroker(dir.dir);
after(async () => {
  await (await brokerReady).close();
  dir.cleanup();
});

test('the client counts its requests by API, the records it produced and the offsets it fetched, per topic', { timeout: 60_000 }, async () => {
  const broker = await brokerReady;
  const log = await kafka({ brokers: `127.0.0.1:${broker.port}` }).connect();
  assert.ok(log instanceof KafkaLog);
  const { client } = log;
  try {
    const topic = 'cc-events';
    await log.createTopics([{ name: topic, partitions: 2 }]);
    const p = await log.producer({ transactionalId: 'cc-tx' });
    const before = [...client.requestCounts];
    const count = (api: number): number => (client.requestCounts[api] ?? 0) - (before[api] ?? 0);
    for (let i = 0; i < 8; i++) p.send({ topic, partition: i % 2, timestamp: 1_000, key: null, value: Buffer.from(`v${i}`), headers: [] });
    await p.commitTransaction();
    for (let i = 0; i < 3; i++) p.send({ topic, partition: 0, timestamp: 1_000, key: null, value: Buffer.from(`w${i}`), headers: [] });
    await p.commitTransaction();
    await p.close();
    // Two transactions: each registers its partitions once, produces once (both partitions share a leader) and ends once.
    assert.equal(count(ApiKeys.AddPartitionsToTxn), 2);
    assert.equal(count(ApiKeys.Produce), 2);
    assert.equal(count(ApiKeys.EndTxn), 2);
    assert.equal(count(ApiKeys.TxnOffsetCommit), 0);
    assert.equal(client.recordsProduced.get(topic), 11);

    const c = log.consumer({ isolation: 'read_committed' });
    c.assign([0, 1].map((partition) => ({ topic, partition, offset: 0 })));
    // 11 records and 3 transaction markers (two on partition 0, one on partition 1): 14 offsets.
    const deadline = Date.now() + 30_000;
    while ((client.offsetsFetched.get(topic) ?? 0) < 14 && Date.now() < deadline) await c.fetch(200);
    c.close();
    assert.equal(client.offsetsFetched.get(topic), 14);
    assert.ok(count(ApiKeys.Fetch) >= 1);
  } finally {
    await log.close();
  }
});
