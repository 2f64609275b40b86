// The plain (non-transactional) producer of kafka({ brokers }) is idempotent, as Kafka's producer
// is by default: when the answer to a Produce is lost (a leader killed after replicating the batch
// and before answering), the retry must not write the batch a second time. A TCP proxy between
// the client and `tributary broker` (advertised as the proxy's address, so every request goes
// through it) forwards the first Produce request and drops the connection instead of its answer.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PRODUCER_ID, BASE_SEQUENCE } from '../../../src/records/batch-header.js';
import { ApiKeys } from '../../../src/protocol/api-keys.js';
import { brokerBehindProxy } from './kafka-proxy.js';
import { open, readVia } from './logs.js';

describe('kafka({ brokers }) plain producer: idempotent', () => {
  // Swallows the answer to the first Produce request and cuts that connection.
  let dropped = 0;
  const broker = brokerBehindProxy('tributary-kidem-', {
    answer(r) {
      if (r.apiKey !== ApiKeys.Produce || dropped > 0) return 'forward';
      dropped++;
      return 'cut';
    },
  });

  test('a Produce whose answer is lost is retried and written once; batches carry a producer id and sequences', { timeout: 60_000 }, async () => {
    const { admin } = await open(broker.bootstrap);
    try {
      await admin.createTopics([{ name: 'idem', partitions: 1 }]);
      const p = await admin.producer();
      for (let i = 0; i < 10; i++) p.send({ topic: 'idem', partition: 0, timestamp: 1_000 + i, key: null, value: Buffer.from(`v${i}`), headers: [] });
      await p.flush();
      for (let i = 10; i < 15; i++) p.send({ topic: 'idem', partition: 0, timestamp: 1_000 + i, key: null, value: Buffer.from(`v${i}`), headers: [] });
      await p.flush();
      await p.close();
      assert.equal(dropped, 1, 'the answer to the first Produce was lost');
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
