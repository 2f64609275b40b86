// kafka({ brokers, fetchMaxWaitMs }): a Fetch waits at the broker up to fetchMaxWaitMs (Kafka's
// fetch.max.wait.ms) even when fetch() waits less, so an application polling often with nothing to
// read sends one Fetch per long poll instead of one per poll; records that arrive meanwhile are
// handed out by the next poll, from the answer to that same Fetch — under read_committed too, where
// the broker's wait must end at the commit marker, not at the uncommitted record. The long poll here is 30 s, far
// longer than the test, so the counts do not depend on speed: every poll before the data arrives
// shares the one Fetch.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { KafkaLog, kafka } from '../../../src/connectors/index.js';
import { ApiKeys } from '../../../src/protocol/api-keys.js';
import { startTestBroker, tempDir } from '../../broker/helpers.js';
import { produceVia } from './logs.js';

const dir = tempDir('tributary-long-poll-');
const brokerReady = startTestBroker(dir.dir);
after(async () => {
  await (await brokerReady).close();
  dir.cleanup();
});

test('polls share one long-polling Fetch; records arriving during it are handed out from its answer', { timeout: 60_000 }, async () => {
  const broker = await brokerReady;
  const log = await kafka({ brokers: `127.0.0.1:${broker.port}`, fetchMaxWaitMs: 30_000 }).connect();
  assert.ok(log instanceof KafkaLog);
  const fetches = () => log.client.requestCounts[ApiKeys.Fetch] ?? 0;
  const c = log.consumer({ isolation: 'read_committed' });
  try {
    await log.createTopics([{ name: 'lp', partitions: 2 }]);
    c.assign([
      { topic: 'lp', partition: 0, offset: 0 },
      { topic: 'lp', partition: 1, offset: 0 },
    ]);
    const before = fetches();
    for (let i = 0; i < 10; i++) assert.deepEqual(await c.fetch(10), [], 'nothing to read yet');
    assert.equal(fetches() - before, 1, 'ten polls, one Fetch (still waiting at the broker)');

    await produceVia(log, 'lp', [{ key: 'k', value: 'v1', timestamp: 1_000, partition: 1 }]);
    const got: number[] = [];
    while (got.length === 0) for (const f of await c.fetch(10)) got.push(f.partition, f.fetchOffset, f.nextOffset);
    assert.deepEqual(got, [1, 0, 1], 'the record, from partition 1');
    assert.equal(fetches() - before, 1, 'handed out from the answer to the waiting Fetch');
  } finally {
    c.close();
    await log.close();
  }
});

test('read_committed: a transaction committed during the long poll is handed out from its answer', { timeout: 60_000 }, async () => {
  const broker = await brokerReady;
  const log = await kafka({ brokers: `127.0.0.1:${broker.port}`, fetchMaxWaitMs: 30_000 }).connect();
  assert.ok(log instanceof KafkaLog);
  const fetches = () => log.client.requestCounts[ApiKeys.Fetch] ?? 0;
  const c = log.consumer({ isolation: 'read_committed' });
  const p = await log.producer({ transactionalId: 'lp-tx' });
  try {
    await log.createTopics([{ name: 'lpt', partitions: 1 }]);
    c.assign([{ topic: 'lpt', partition: 0, offset: 0 }]);
    const before = fetches();
    for (let i = 0; i < 5; i++) assert.deepEqual(await c.fetch(10), []);
    // The uncommitted record wakes the broker's wait but is not readable; the commit marker makes it so.
    p.send({ topic: 'lpt', partition: 0, timestamp: 1_000, key: null, value: Buffer.from('t1'), headers: [] });
    await p.flush();
    assert.deepEqual(await c.fetch(10), [], 'not readable before the commit');
    await p.commitTransaction();
    const got: number[] = [];
    while (got.length === 0) for (const f of await c.fetch(10)) got.push(f.fetchOffset, f.nextOffset);
    assert.deepEqual(got, [0, 2], 'the committed record and its commit marker');
    assert.equal(fetches() - before, 1, 'from the answer to the one waiting Fetch');
  } finally {
    c.close();
    await p.close();
    await log.close();
  }
});
