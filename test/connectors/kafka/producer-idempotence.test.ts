// The plain (non-transactional) producer of kafka({ brokers }) is idempotent, as Kafka's producer
// is by default: when the answer to a Produce is lost (a leader killed after replicating the batch
// and before answering), the retry must not write the batch a second time. A TCP proxy between
// the client and `tributary broker` (advertised as the proxy's address, so every request goes
// through it) forwards the first Produce request and drops the connection instead of its answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { PRODUCER_ID, BASE_SEQUENCE } from '../../../src/records/batch-header.js';
import { startTestBroker, tempDir } from '../../broker/helpers.js';
import { open, readVia } from './logs.js';

const PRODUCE = 0;

/** Forwards to the broker; swallows the answer to the first Produce request and cuts that connection. */
function lossyProxy(): { server: Server; listening: Promise<number>; setTarget(port: number): void; dropped(): number } {
  let target = 0;
  let dropped = 0;
  const server = createServer((client: Socket) => {
    const upstream = createConnection({ host: '127.0.0.1', port: target });
    const produceIds = new Set<number>();
    let fromClient = Buffer.alloc(0);
    let fromBroker = Buffer.alloc(0);
    client.on('data', (d: Buffer) => {
      fromClient = Buffer.concat([fromClient, d]);
      while (fromClient.length >= 4 && fromClient.length >= 4 + fromClient.readInt32BE(0)) {
        const size = fromClient.readInt32BE(0);
        if (fromClient.readInt16BE(4) === PRODUCE && dropped === 0) produceIds.add(fromClient.readInt32BE(8));
        upstream.write(fromClient.subarray(0, 4 + size));
        fromClient = fromClient.subarray(4 + size);
      }
    });
    upstream.on('data', (d: Buffer) => {
      fromBroker = Buffer.concat([fromBroker, d]);
      while (fromBroker.length >= 4 && fromBroker.length >= 4 + fromBroker.readInt32BE(0)) {
        const size = fromBroker.readInt32BE(0);
        if (produceIds.has(fromBroker.readInt32BE(4)) && dropped === 0) {
          dropped++;
          client.destroy();
          upstream.destroy();
          return;
        }
        client.write(fromBroker.subarray(0, 4 + size));
        fromBroker = fromBroker.subarray(4 + size);
      }
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  const listening = new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
  return { server, listening, setTarget: (p) => (target = p), dropped: () => dropped };
}

describe('kafka({ brokers }) plain producer: idempotent', () => {
  const proxy = lossyProxy();
  const dir = tempDir('tributary-kidem-');
  let broker: Awaited<ReturnType<typeof startTestBroker>>;
  let bootstrap = '';
  before(async () => {
    const port = await proxy.listening;
    broker = await startTestBroker(dir.dir, { advertisedPort: port });
    proxy.setTarget(broker.port);
    bootstrap = `127.0.0.1:${port}`;
  });
  after(async () => {
    await broker.close();
    await new Promise((r) => proxy.server.close(r));
    dir.cleanup();
  });

  test('a Produce whose answer is lost is retried and written once; batches carry a producer id and sequences', { timeout: 60_000 }, async () => {
    const { admin } = await open(bootstrap);
    try {
      await admin.createTopics([{ name: 'idem', partitions: 1 }]);
      const p = await admin.producer();
      for (let i = 0; i < 10; i++) p.send({ topic: 'idem', partition: 0, timestamp: 1_000 + i, key: null, value: Buffer.from(`v${i}`), headers: [] });
      await p.flush();
      for (let i = 10; i < 15; i++) p.send({ topic: 'idem', partition: 0, timestamp: 1_000 + i, key: null, value: Buffer.from(`v${i}`), headers: [] });
      await p.flush();
      await p.close();
      assert.equal(proxy.dropped(), 1, 'the answer to the first Produce was lost');
      const values = (await readVia(admin, 'idem', 'read_uncommitted')).map((r) => r.value!.toString());
      assert.deepEqual(values, Array.from({ length: 15 }, (_, i) => `v${i}`), 'each record once, in order');

      const c = admin.consumer({ isolation: 'read_uncommitted' });
      c.assign([{ topic: 'idem', partition: 0, offset: 0 }]);
      const batches: Array<{ producerId: bigint; baseSequence: number }> = [];
      for (let idle = 0; batches.length === 0 && idle < 20; idle++) {
        for (const f of await c.fetch(200)) batches.push({ producerId: f.records.readBigInt64BE(PRODUCER_ID), baseSequence: f.records.readInt32BE(BASE_SEQUENCE) });
      }
      c.close();
      assert.ok(batches.length > 0 && batches[0]!.producerId >= 0n, 'the batches carry a producer id');
      assert.equal(batches[0]!.baseSequence, 0, 'sequences start at 0');
    } finally {
      await admin.close();
    }
  });
});
