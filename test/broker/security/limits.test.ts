import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { ByteRateSensor, type SecurityOptions } from '../../../src/broker/security/index.js';
import { ApiKeys } from '../../../src/protocol/index.js';
import { RawClient, startTestBroker, tempDir } from '../helpers.js';
import { batchOf } from './records.js';

async function limitedBroker(t: { after: (fn: () => unknown) => void }, security: SecurityOptions) {
  const { dir, cleanup } = tempDir('tributary-limits-');
  const broker = await startTestBroker(dir, { security });
  t.after(async () => {
    await broker.close();
    cleanup();
  });
  return broker;
}

test('a connection flood beyond max.connections is refused at once while existing clients keep working', async (t) => {
  const broker = await limitedBroker(t, { maxConnections: 3 });
  const producer = new Kafka({ clientId: 'steady', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).producer();
  await producer.connect();
  t.after(() => producer.disconnect());
  await producer.send({ topic: 'flood', messages: [{ value: 'before' }] });
  const open = broker.connectionCount;
  assert.ok(open >= 1 && open <= 3);

  const flood = await Promise.all(Array.from({ length: 20 }, () => RawClient.connect(broker.port)));
  t.after(() => flood.forEach((c) => c.close()));
  const closed = await Promise.all(flood.map((c) => c.waitClosed(3000)));
  const refused = closed.filter(Boolean).length;
  assert.equal(refused, 20 - (3 - open), 'every connection beyond the limit is closed');
  assert.ok(broker.logger.lines.some((l) => l.includes('connection limit reached')));

  // The existing producer carries on.
  await producer.send({ topic: 'flood', messages: [{ value: 'after' }] });
  assert.equal(broker.log.partition('flood', 0).logEndOffset, 2);
  // The admitted flood connections are served too.
  const admitted = flood.filter((_c, i) => !closed[i]);
  for (const c of admitted) assert.equal((await c.request(ApiKeys.ApiVersions, 3, { clientSoftwareName: 'f', clientSoftwareVersion: '1' })).errorCode, 0);
});

test('max.connections.per.ip refuses a fourth connection from the same address; closing one frees a slot', async (t) => {
  const broker = await limitedBroker(t, { maxConnectionsPerIp: 3 });
  const three = await Promise.all([1, 2, 3].map(() => RawClient.connect(broker.port)));
  t.after(() => three.forEach((c) => c.close()));
  for (const c of three) assert.equal((await c.request(ApiKeys.ApiVersions, 3, { clientSoftwareName: 'p', clientSoftwareVersion: '1' })).errorCode, 0);
  const fourth = await RawClient.connect(broker.port);
  assert.equal(await fourth.waitClosed(3000), true);
  three[0]!.close();
  await three[0]!.waitClosed();
  // The broker sees the close asynchronously: retry until the slot is free.
  let served = false;
  for (let i = 0; i < 50 && !served; i++) {
    const again = await RawClient.connect(broker.port);
    try {
      served = (await again.request(ApiKeys.ApiVersions, 3, { clientSoftwareName: 'p', clientSoftwareVersion: '1' })).errorCode === 0;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      again.close();
    }
  }
  assert.ok(served);
});

test('an idle connection is closed after connections.max.idle.ms', async (t) => {
  const broker = await limitedBroker(t, { idleTimeoutMs: 300 });
  const idle = await RawClient.connect(broker.port);
  t.after(() => idle.close());
  assert.equal((await idle.request(ApiKeys.ApiVersions, 3, { clientSoftwareName: 'i', clientSoftwareVersion: '1' })).errorCode, 0);
  assert.equal(await idle.waitClosed(10_000), true);
  assert.ok(broker.logger.lines.some((l) => l.includes('idle for 300 ms')));
});

test('byte-rate sensor: within the quota no throttle; beyond it the throttle brings the rate back to the quota', () => {
  const s = new ByteRateSensor(1000, 1000, 11); // 1000 B/s over 11 one-second windows
  assert.equal(s.record(5000, 0), 0, '5000 B averaged over at least 10 s is 500 B/s');
  const throttle = s.record(10_000, 100); // 15000 B over 10 s = 1500 B/s
  assert.equal(throttle, 5000, '(1500 - 1000) / 1000 * 10 s');
  // Exactly at the quota (10000 B over the minimum 10 s): no throttle.
  assert.equal(new ByteRateSensor(1000, 1000, 11).record(10_000, 0), 0);
});

test('a producer over its client-id quota gets throttle_time_ms and a muted channel while another client keeps its throughput', async (t) => {
  // 20 KB/s for client "greedy" only, measured over 11 windows of 100 ms (so >= 1 s of history).
  const broker = await limitedBroker(t, { quotas: { clients: { greedy: { producerByteRate: 20_000 } }, windowMs: 100, windowCount: 11 } });
  const greedy = await RawClient.connect(broker.port, 'greedy');
  const polite = await RawClient.connect(broker.port, 'polite');
  t.after(() => (greedy.close(), polite.close()));
  const payload = batchOf(Array.from({ length: 10 }, () => Buffer.alloc(5_000, 120))); // ~50 KB per request
  const produce = (c: RawClient) =>
    c.request(ApiKeys.Produce, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 'q', partitionData: [{ index: 0, records: payload }] }] });

  const first = await produce(greedy);
  assert.equal(first.responses[0]!.partitionResponses[0]!.errorCode, 0);
  assert.ok(first.throttleTimeMs! > 0, `over 20 KB/s at once: throttled (${first.throttleTimeMs} ms)`);

  // While greedy is muted, its next request waits; polite's requests are answered unthrottled meanwhile.
  const greedyNext = produce(greedy);
  const politeResults = [];
  for (let i = 0; i < 5; i++) politeResults.push(await produce(polite));
  assert.ok(politeResults.every((r) => r.throttleTimeMs === 0 && r.responses[0]!.partitionResponses[0]!.errorCode === 0));
  const politeBytes = politeResults.length * payload.length;
  assert.ok(politeBytes > 5 * 20_000, 'polite wrote far beyond the quota it does not have');
  const second = await greedyNext;
  assert.ok(second.throttleTimeMs! > 0, 'still over the quota');
  assert.ok(broker.log.partition('q', 0).logEndOffset === 70, 'every record of both clients was written');
});
