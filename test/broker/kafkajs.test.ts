import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionTypes, Kafka, logLevel, type Consumer, type EachMessagePayload } from 'kafkajs';
import { eventually, sleep, startTestBroker, tempDir } from './helpers.js';

function client(port: number, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
}

test('kafkajs admin: create, list, describe configs, add partitions, delete topics', async (t) => {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir);
  const admin = client(broker.port, 'admin-test').admin();
  t.after(async () => {
    await admin.disconnect();
    await broker.close();
    cleanup();
  });
  await admin.connect();
  assert.equal(
    await admin.createTopics({
      topics: [
        { topic: 'orders', numPartitions: 3 },
        { topic: 'users', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
      ],
    }),
    true,
  );
  // Creating an existing topic again is "nothing created", not a failure.
  assert.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3 }] }), false);
  const kafkaError = (type: string) => (e: unknown) => {
    const errors = (e as { errors?: { type?: string }[] }).errors ?? [e as { type?: string }];
    assert.equal(errors[0]?.type, type);
    return true;
  };
  await assert.rejects(admin.createTopics({ topics: [{ topic: 'rf3', replicationFactor: 3 }] }), kafkaError('INVALID_REPLICATION_FACTOR'));
  await assert.rejects(
    admin.createTopics({ topics: [{ topic: 'badcfg', configEntries: [{ name: 'no.such.config', value: '1' }] }] }),
    kafkaError('INVALID_CONFIG'),
  );
  assert.deepEqual((await admin.listTopics()).filter((n) => !n.startsWith('__')).sort(), ['orders', 'users']);

  const meta = await admin.fetchTopicMetadata({ topics: ['orders'] });
  assert.equal(meta.topics[0]!.partitions.length, 3);
  assert.deepEqual(meta.topics[0]!.partitions.map((p) => [p.leader, p.replicas, p.isr]), [
    [0, [0], [0]],
    [0, [0], [0]],
    [0, [0], [0]],
  ]);

  const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'users' }], includeSynonyms: false });
  const entries = configs.resources[0]!.configEntries;
  assert.equal(entries.find((e) => e.configName === 'cleanup.policy')?.configValue, 'compact');
  assert.equal(entries.find((e) => e.configName === 'retention.ms')?.isDefault, true);

  await admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 5 }] });
  assert.equal((await admin.fetchTopicMetadata({ topics: ['orders'] })).topics[0]!.partitions.length, 5);
  await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 2 }] }), kafkaError('INVALID_PARTITIONS'));

  const cluster = await admin.describeCluster();
  assert.deepEqual(cluster.brokers, [{ nodeId: 0, host: '127.0.0.1', port: broker.port }]);
  assert.equal(cluster.controller, 0);

  await admin.deleteTopics({ topics: ['users'] });
  assert.deepEqual((await admin.listTopics()).filter((n) => !n.startsWith('__')), ['orders']);
  assert.equal(broker.log.hasTopic('users'), false);
});

test('kafkajs producers (acks 1 and -1, gzip) and a 2-member group over 4 partitions: rebalances, once per group, offsets survive a restart', async (t) => {
  const { dir, cleanup } = tempDir();
  let broker = await startTestBroker(dir);
  const toClose: { disconnect(): Promise<void> }[] = [];
  t.after(async () => {
    for (const c of toClose.reverse()) await c.disconnect().catch(() => {});
    await broker.close();
    cleanup();
  });
  const topic = 'events';
  const groupId = 'counters';
  let kafka = client(broker.port, 'kjs');
  const admin = kafka.admin();
  toClose.push(admin);
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  toClose.push(producer);
  await producer.connect();
  let sent = 0;
  const sendRound = async (n: number, round: string) => {
    const messages = Array.from({ length: n }, (_, i) => ({ key: `key-${(sent + i) % 13}`, value: `${round}-${sent + i}` }));
    sent += n;
    // Half with acks=-1 and gzip, half with acks=1 uncompressed.
    const half = Math.floor(n / 2);
    const a = await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: messages.slice(0, half) });
    const b = await producer.send({ topic, acks: 1, messages: messages.slice(half) });
    for (const r of [...a, ...b]) assert.equal(r.errorCode, 0);
    return messages.map((m) => m.value);
  };

  const seen = new Map<string, string[]>(); // value -> consumers that saw it
  const assignments = new Map<string, number[]>();
  const consumers = new Map<string, Consumer>();
  const startConsumer = async (name: string, k: Kafka) => {
    const consumer = k.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 250, rebalanceTimeout: 20_000 });
    consumers.set(name, consumer);
    toClose.push(consumer);
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      assignments.set(name, (e.payload.memberAssignment[topic] ?? []).slice().sort());
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }: EachMessagePayload) => {
        const v = message.value!.toString();
        seen.set(v, [...(seen.get(v) ?? []), name]);
      },
    });
    return consumer;
  };
  const allSeen = (values: string[]) => values.every((v) => seen.has(v));

  // Round 1: one member owns all four partitions.
  const round1 = await sendRound(40, 'r1');
  await startConsumer('a', kafka);
  await eventually(() => allSeen(round1), 20_000, 'member a to read round 1');
  assert.deepEqual(assignments.get('a'), [0, 1, 2, 3]);

  // A second member joins: the group rebalances to two partitions each.
  await startConsumer('b', kafka);
  await eventually(() => assignments.get('a')?.length === 2 && assignments.get('b')?.length === 2, 30_000, 'the rebalance on join');
  assert.deepEqual([...assignments.get('a')!, ...assignments.get('b')!].sort(), [0, 1, 2, 3]);
  const round2 = await sendRound(40, 'r2');
  await eventually(() => allSeen(round2), 20_000, 'both members to read round 2');
  assert.ok(round2.some((v) => seen.get(v)![0] === 'a') && round2.some((v) => seen.get(v)![0] === 'b'), 'both members consumed');

  // Member a leaves: b takes everything over.
  await consumers.get('a')!.disconnect();
  await eventually(() => assignments.get('b')?.length === 4, 30_000, 'the rebalance on leave');
  const round3 = await sendRound(40, 'r3');
  await eventually(() => allSeen(round3), 20_000, 'member b to read round 3');
  for (const v of round3) assert.deepEqual(seen.get(v), ['b']);

  // Every record was consumed once by the group.
  for (const v of [...round1, ...round2, ...round3]) assert.equal(seen.get(v)!.length, 1, `${v} seen by ${seen.get(v)!.join(',')}`);

  const described = await admin.describeGroups([groupId]);
  assert.equal(described.groups[0]!.state, 'Stable');
  assert.equal(described.groups[0]!.members.length, 1);
  assert.deepEqual((await admin.listGroups()).groups.map((g) => g.groupId), [groupId]);

  // Stop everything; restart the broker on the same data directory.
  await consumers.get('b')!.disconnect();
  await eventually(async () => (await admin.describeGroups([groupId])).groups[0]!.state === 'Empty', 15_000, 'the group to empty');
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
  const committedTotal = committed[0]!.partitions.reduce((s, p) => s + Number(p.offset), 0);
  assert.equal(committedTotal, 120, 'all 120 records committed');
  await admin.disconnect();
  await producer.disconnect();
  await broker.close();

  broker = await startTestBroker(dir);
  kafka = client(broker.port, 'kjs-after-restart');
  const admin2 = kafka.admin();
  toClose.push(admin2);
  await admin2.connect();
  const after = await admin2.fetchOffsets({ groupId, topics: [topic] });
  assert.deepEqual(after, committed, 'committed offsets survive the restart');

  const producer2 = kafka.producer();
  toClose.push(producer2);
  await producer2.connect();
  const round4 = Array.from({ length: 20 }, (_, i) => `r4-${i}`);
  await producer2.send({ topic, acks: -1, messages: round4.map((value, i) => ({ key: `k${i}`, value })) });
  const resumed: string[] = [];
  const c = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 250 });
  toClose.push(c);
  await c.connect();
  await c.subscribe({ topics: [topic], fromBeginning: true });
  await c.run({ eachMessage: async ({ message }) => void resumed.push(message.value!.toString()) });
  await eventually(() => resumed.length >= 20, 20_000, 'the resumed consumer to read round 4');
  await sleep(500);
  assert.deepEqual(resumed.sort(), round4.sort(), 'the consumer resumed at the committed offsets: only new records');
});
