import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { startDashboard } from '../../src/dashboard/index.js';
import { startTestBroker, tempDir } from '../broker/helpers.js';
import { eventually, parseMetrics, sum } from './fixture.js';

interface LogJson {
  topics: Array<{ name: string; partitions: Array<{ partition: number; endOffset: number }> }>;
  groups: Array<{ groupId: string; state: string; members: number; offsets: Array<{ topic: string; partition: number; committed: number; lag: number }>; totalLag: number }>;
}

test('broker dashboard: requests per API, bytes, partitions, groups with lag, from real kafkajs traffic', { timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir);
  const d = await startDashboard({ broker, port: 0, sampleIntervalMs: 200 });
  const kafka = new Kafka({ clientId: 'dash', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
  const admin = kafka.admin();
  const producer = kafka.producer();
  const consumer = kafka.consumer({ groupId: 'dash-readers' });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'events', numPartitions: 3 }] });
    await producer.connect();
    await producer.send({ topic: 'events', messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `event ${i}` })) });

    let seen = 0;
    await consumer.connect();
    await consumer.subscribe({ topic: 'events', fromBeginning: true });
    await consumer.run({ autoCommitThreshold: 1, eachMessage: async () => void seen++ });
    await eventually(async () => (seen >= 50 ? true : undefined), 'the consumer read all 50');
    // The group's committed offsets reach the end: lag 0 while it is Stable with one member.
    const stable = await eventually(async () => {
      const v = (await (await fetch(new URL('/api/log', d.url))).json()) as LogJson;
      const g = v.groups.find((x) => x.groupId === 'dash-readers');
      return g && g.state === 'Stable' && g.offsets.length === 3 && g.totalLag === 0 ? v : undefined;
    }, 'group dash-readers committed to the end');
    assert.equal(stable.topics.find((t) => t.name === 'events')!.partitions.reduce((n, p) => n + p.endOffset, 0), 50);
    assert.equal(stable.groups.find((x) => x.groupId === 'dash-readers')!.members, 1);
    await consumer.disconnect();

    // Ten more with nobody reading: the lag shows them.
    await producer.send({ topic: 'events', messages: Array.from({ length: 10 }, (_, i) => ({ key: `late${i}`, value: 'x' })) });
    const idle = (await (await fetch(new URL('/api/log', d.url))).json()) as LogJson;
    const g = idle.groups.find((x) => x.groupId === 'dash-readers')!;
    assert.equal(g.state, 'Empty');
    assert.equal(g.totalLag, 10);

    const m = parseMetrics(await (await fetch(new URL('/metrics', d.url))).text());
    for (const api of ['Produce', 'Fetch', 'Metadata', 'JoinGroup', 'SyncGroup', 'OffsetCommit', 'CreateTopics']) {
      assert.ok(sum(m, 'tributary_broker_requests_total', { api }) >= 1, `requests of ${api}`);
    }
    assert.equal(sum(m, 'tributary_broker_requests_total', { api: 'Produce' }), 2);
    const buckets = m.filter((s) => s.name === 'tributary_broker_request_latency_ms_bucket' && s.labels.api === 'Produce');
    assert.equal(buckets.at(-1)!.labels.le, '+Inf');
    assert.equal(buckets.at(-1)!.value, 2);
    assert.ok(sum(m, 'tributary_broker_bytes_in_total') > 50 * 'event 0'.length);
    assert.ok(sum(m, 'tributary_broker_bytes_out_total') > 50 * 'event 0'.length);
    assert.equal(sum(m, 'tributary_broker_partitions', { topic: 'events' }), 3);
    assert.equal(sum(m, 'tributary_broker_log_end_offset', { topic: 'events' }), 60);
    assert.equal(sum(m, 'tributary_broker_groups', { state: 'Empty' }), 1);
    assert.ok(sum(m, 'tributary_broker_connections') >= 1);
    assert.equal(m.filter((s) => s.name.startsWith('tributary_records_')).length, 0, 'no application metrics without an application');

    // The live sample carries the broker's traffic.
    const { samples } = (await (await fetch(new URL('/api/history', d.url))).json()) as { samples: Array<{ broker?: { connections: number } }> };
    assert.ok(samples.length > 0 && samples.every((s) => s.broker !== undefined));
  } finally {
    await producer.disconnect().catch(() => undefined);
    await consumer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await d.close();
    await broker.close();
    cleanup();
  }
});
