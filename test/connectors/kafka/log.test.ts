// The Log contract (src/connectors/log.ts) of kafka({ brokers }), on a real Kafka cluster and on
// `tributary broker`: admin, offsets, read_committed fetches of raw batches, group offsets and the
// transactional producer with fencing.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ProducerFencedError, visitRecords, type Log, type LogProducer } from '../../../src/connectors/index.js';
import { open, readVia, targets } from './logs.js';

function send(p: LogProducer, topic: string, partition: number, value: string): void {
  p.send({ topic, partition, timestamp: 1_000, key: Buffer.from(`k-${value}`), value: Buffer.from(value), headers: [{ key: 'h', value: Buffer.from('x') }] });
}

async function values(log: Log, topic: string, isolation: 'read_committed' | 'read_uncommitted' = 'read_committed'): Promise<string[]> {
  return (await readVia(log, topic, isolation)).map((r) => `${r.partition}:${r.value!.toString()}`);
}

for (const target of targets()) {
  describe(`kafka({ brokers }) on ${target.name === 'kafka' ? 'a real Kafka cluster' : 'tributary broker'}`, { skip: target.skip }, () => {
    after(() => target.stop());

    test('admin: create topics with configs (existing ones left alone), describe them; absent topics are not described', { timeout: 120_000 }, async () => {
      const { admin } = await open(await target.start());
      try {
        await admin.createTopics([{ name: 'lt-a', partitions: 3, config: { 'cleanup.policy': 'compact' } }, { name: 'lt-b', partitions: 2 }]);
        await admin.createTopics([{ name: 'lt-a', partitions: 5 }]);
        const d = await admin.describeTopics(['lt-a', 'lt-b', 'lt-absent']);
        assert.equal(d.get('lt-a')?.partitions, 3);
        assert.equal(d.get('lt-a')?.config['cleanup.policy'], 'compact');
        assert.equal(d.get('lt-b')?.partitions, 2);
        assert.equal(d.get('lt-b')?.config['cleanup.policy'], 'delete');
        assert.equal(d.has('lt-absent'), false);
      } finally {
        await admin.close();
      }
    });

    test('admin: delete topics (records gone, the name free again); an absent topic is no error', { timeout: 120_000 }, async () => {
      const { admin } = await open(await target.start());
      try {
        await admin.createTopics([{ name: 'lt-del-a', partitions: 2 }, { name: 'lt-del-b', partitions: 1 }]);
        const p = await admin.producer();
        send(p, 'lt-del-a', 1, 'old');
        await p.flush();
        await p.close();
        await admin.deleteTopics(['lt-del-a', 'lt-del-absent']);
        // Kafka deletes asynchronously: the topic leaves the metadata shortly after the answer.
        for (let i = 0; (await admin.describeTopics(['lt-del-a'])).has('lt-del-a'); i++) {
          assert.ok(i < 100, 'lt-del-a still described 10 s after its deletion');
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal((await admin.describeTopics(['lt-del-b'])).get('lt-del-b')?.partitions, 1, 'the other topic stays');
        // The name can be used again, and the new topic holds none of the old records.
        for (let i = 0; ; i++) {
          try {
            await admin.createTopics([{ name: 'lt-del-a', partitions: 2 }]);
            break;
          } catch (e) {
            if (i >= 100) throw e;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        assert.deepEqual(await admin.endOffsets([{ topic: 'lt-del-a', partition: 1 }], 'read_uncommitted'), [0]);
      } finally {
        await admin.close();
      }
    });

    test('transactions: committed data and offsets visible together; aborted data skipped read_committed, seen read_uncommitted; end offsets; a new epoch fences the old producer', { timeout: 120_000 }, async () => {
      const { admin } = await open(await target.start());
      try {
        const topic = 'lt-txn';
        await admin.createTopics([{ name: topic, partitions: 2 }]);
        const tps = [0, 1].map((partition) => ({ topic, partition }));
        const p = await admin.producer({ transactionalId: 'lt-tx' });
        assert.ok(p.producerId >= 0);
        for (let i = 0; i < 6; i++) send(p, topic, i % 2, `c${i}`);
        p.sendOffsetsToTransaction('lt-group', [{ topic: 'lt-a', partition: 0, offset: 42 }]);
        await p.commitTransaction();
        assert.deepEqual(await admin.committedOffsets('lt-group', [{ topic: 'lt-a', partition: 0 }, { topic: 'lt-a', partition: 1 }]), [42, -1]);

        send(p, topic, 0, 'aborted');
        p.sendOffsetsToTransaction('lt-group', [{ topic: 'lt-a', partition: 0, offset: 99 }]);
        await p.flush();
        // Open transaction with data: read_committed ends before it.
        const [lso, hw] = await Promise.all([admin.endOffsets(tps, 'read_committed'), admin.endOffsets(tps, 'read_uncommitted')]);
        assert.ok(hw[0]! > lso[0]!, `LSO ${lso[0]} below HW ${hw[0]} while the transaction is open`);
        await p.abortTransaction();
        assert.deepEqual(await admin.committedOffsets('lt-group', [{ topic: 'lt-a', partition: 0 }]), [42], 'aborted offsets never visible');
        assert.deepEqual(await admin.beginningOffsets(tps), [0, 0]);

        assert.deepEqual((await values(admin, topic)).sort(), ['0:c0', '0:c2', '0:c4', '1:c1', '1:c3', '1:c5']);
        assert.ok((await values(admin, topic, 'read_uncommitted')).includes('0:aborted'));
        const headers = (await readVia(admin, topic))[0]!.headers;
        assert.deepEqual(headers.map((h) => [h.key, h.value?.toString()]), [['h', 'x']]);

        const successor = await admin.producer({ transactionalId: 'lt-tx' });
        assert.ok(successor.producerEpoch > p.producerEpoch || successor.producerId !== p.producerId);
        send(p, topic, 0, 'zombie');
        await assert.rejects(p.commitTransaction(), ProducerFencedError);
        assert.throws(() => send(p, topic, 0, 'again'), ProducerFencedError, 'fencing is final');
        send(successor, topic, 1, 'after');
        await successor.commitTransaction();
        // Kafka writes the commit's markers after EndTxn returns: read_committed sees 'after' once they are there.
        let got = await values(admin, topic);
        for (const deadline = Date.now() + 10_000; !got.includes('1:after') && Date.now() < deadline; got = await values(admin, topic)) {
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.ok(got.includes('1:after'), 'the successor’s commit becomes visible');
        assert.ok(!got.includes('0:zombie'), 'the fenced producer’s record never does');
        await successor.close();
        await p.close();
      } finally {
        await admin.close();
      }
    });

    test('transactions: a batch the log refuses (MESSAGE_TOO_LARGE) fails the flush; after the abort the next transaction writes every partition again', { timeout: 120_000 }, async () => {
      const { admin } = await open(await target.start());
      try {
        const topic = 'lt-refused';
        await admin.createTopics([{ name: topic, partitions: 2, config: { 'max.message.bytes': 1024 } }]);
        const p = await admin.producer({ transactionalId: 'lt-refused-tx' });
        send(p, topic, 0, 'first');
        await p.commitTransaction();
        // One flush, one Produce: partition 0's batch is written, partition 1's is refused.
        send(p, topic, 0, 'aborted');
        p.send({ topic, partition: 1, timestamp: 1_000, key: null, value: Buffer.alloc(4096, 1), headers: [] });
        await assert.rejects(p.flush(), (e: Error & { code?: string }) => e.code === 'MESSAGE_TOO_LARGE');
        await p.abortTransaction();
        // Were partition 0's sequence numbers not taken, its next batch would be dropped as a duplicate.
        send(p, topic, 0, 'next0');
        send(p, topic, 1, 'next1');
        await p.commitTransaction();
        let got = await values(admin, topic);
        for (const deadline = Date.now() + 10_000; got.length < 3 && Date.now() < deadline; got = await values(admin, topic)) {
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.deepEqual(got.sort(), ['0:first', '0:next0', '1:next1']);
        await p.close();
      } finally {
        await admin.close();
      }
    });

    test('consumer: raw batches from explicit positions, seek, pause/resume, a waiting fetch returns on wakeup, plain commits', { timeout: 120_000 }, async () => {
      const { admin } = await open(await target.start());
      try {
        const topic = 'lt-read';
        await admin.createTopics([{ name: topic, partitions: 2 }]);
        const p = await admin.producer();
        for (let i = 0; i < 100; i++) send(p, topic, i % 2, `v${i}`);
        await p.flush();
        await p.close();
        const c = admin.consumer({ maxBytesPerPartition: 1024 });
        try {
          c.assign([{ topic, partition: 0, offset: 10 }, { topic, partition: 1, offset: 0 }]);
          c.pause([{ topic, partition: 1 }]);
          const seen: number[] = [];
          while (c.position({ topic, partition: 0 }) < 50) {
            for (const f of await c.fetch(1_000)) {
              assert.equal(f.partition, 0, 'paused partitions are not fetched');
              assert.equal(f.records.readInt8(16), 2, 'RecordBatch v2 bytes (magic 2)');
              visitRecords(f, (o) => void seen.push(o));
            }
          }
          assert.deepEqual(seen, Array.from({ length: 40 }, (_, i) => 10 + i), 'from the given offset, in order, each once');
          assert.equal(c.position({ topic, partition: 0 }), 50);
          c.seek({ topic, partition: 0 }, 50);
          const t0 = Date.now();
          const waiting = c.fetch(20_000);
          setTimeout(() => c.wakeup(), 200);
          assert.deepEqual(await waiting, [], 'woken up with nothing');
          assert.ok(Date.now() - t0 < 15_000, 'wakeup ended the wait');
          c.resume([{ topic, partition: 1 }]);
          let p1 = 0;
          while (c.position({ topic, partition: 1 }) < 50) for (const f of await c.fetch(1_000)) if (f.partition === 1) visitRecords(f, () => void p1++);
          assert.equal(p1, 50);
        } finally {
          c.close();
        }
        await admin.commitOffsets('lt-plain', [{ topic, partition: 1, offset: 7 }]);
        assert.deepEqual(await admin.committedOffsets('lt-plain', [{ topic, partition: 1 }]), [7]);
      } finally {
        await admin.close();
      }
    });
  });
}
