import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeControlBatch } from '../../src/records/control.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { batch, memoryLogger, openLog, readAll, tempDir, valuesBatch } from './helpers.js';
import { expectCode, producerBatch } from './txn-helpers.js';

test('idempotent producer: a retried batch is not written again and returns the original offsets', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  await log.createTopic('idem');
  const p = log.partition('idem', 0);

  const first = producerBatch(['a0', 'a1', 'a2'], { producerId: 7, epoch: 0, seq: 0 });
  const r1 = await p.append(Buffer.from(first));
  assert.deepEqual([r1.baseOffset, r1.lastOffset, r1.duplicate], [0, 2, undefined]);
  await p.append(valuesBatch('plain', 2)); // plain appends interleave freely
  const r2 = await p.append(producerBatch(['b0', 'b1'], { producerId: 7, epoch: 0, seq: 3 }));
  assert.deepEqual([r2.baseOffset, r2.lastOffset], [5, 6]);
  const size = p.size;

  // Retries of either batch: nothing written, the original offsets back.
  const dup1 = await p.append(Buffer.from(first));
  assert.deepEqual([dup1.baseOffset, dup1.lastOffset, dup1.duplicate, dup1.recordCount], [0, 2, true, 3]);
  const dup2 = await p.append(producerBatch(['b0', 'b1'], { producerId: 7, epoch: 0, seq: 3 }));
  assert.deepEqual([dup2.baseOffset, dup2.lastOffset, dup2.duplicate], [5, 6, true]);
  assert.equal(p.logEndOffset, 7);
  assert.equal(p.size, size);
  assert.deepEqual(readAll(p).map((r) => r.value), ['a0', 'a1', 'a2', 'plain0', 'plain1', 'b0', 'b1']);

  // A gap is OUT_OF_ORDER_SEQUENCE_NUMBER; nothing is written.
  await expectCode(p.append(producerBatch(['gap'], { producerId: 7, epoch: 0, seq: 6 })), 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'gap');
  // So is a batch that overlaps a written one without matching it.
  await expectCode(p.append(producerBatch(['x', 'y'], { producerId: 7, epoch: 0, seq: 4 })), 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'overlap');
  assert.equal(p.logEndOffset, 7);

  // Only the last 5 batches are remembered: the first one falls out of the window.
  let seq = 5;
  for (let i = 0; i < 5; i++) {
    await p.append(producerBatch([`c${i}`], { producerId: 7, epoch: 0, seq }));
    seq++;
  }
  await expectCode(p.append(Buffer.from(first)), 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'retry outside the window');
  const dupLast = await p.append(producerBatch(['c4'], { producerId: 7, epoch: 0, seq: 9 }));
  assert.equal(dupLast.duplicate, true);
  assert.equal(dupLast.baseOffset, 11);

  // A new epoch starts its sequence at 0 (anything else is out of order); the old epoch is then fenced.
  await expectCode(p.append(producerBatch(['e1'], { producerId: 7, epoch: 1, seq: 5 })), 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'new epoch, seq 5');
  const e1 = await p.append(producerBatch(['e1'], { producerId: 7, epoch: 1, seq: 0 }));
  assert.equal(e1.baseOffset, 12);
  await expectCode(p.append(producerBatch(['old'], { producerId: 7, epoch: 0, seq: 10 })), 'INVALID_PRODUCER_EPOCH', 'old epoch');

  // An unknown producer may start at any sequence (its state may have expired): Kafka 2.5+.
  const unknown = await p.append(producerBatch(['u'], { producerId: 99, epoch: 3, seq: 1234 }));
  assert.equal(unknown.duplicate, undefined);
  await expectCode(p.append(producerBatch(['u2'], { producerId: 99, epoch: 3, seq: 1236 })), 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'known now');

  // A retried append mixing duplicates and new batches is refused as a whole.
  const mixed = Buffer.concat([producerBatch(['u'], { producerId: 99, epoch: 3, seq: 1234 }), producerBatch(['u1'], { producerId: 99, epoch: 3, seq: 1235 })]);
  await expectCode(p.append(mixed), 'DUPLICATE_SEQUENCE_NUMBER', 'mixed');
  // Several new batches of one producer in one append are checked against each other.
  const two = Buffer.concat([producerBatch(['u1'], { producerId: 99, epoch: 3, seq: 1235 }), producerBatch(['u2'], { producerId: 99, epoch: 3, seq: 1236 })]);
  const rTwo = await p.append(two);
  assert.deepEqual([rTwo.lastOffset - rTwo.baseOffset, rTwo.duplicate], [1, undefined]);
  const twoBad = Buffer.concat([producerBatch(['u3'], { producerId: 99, epoch: 3, seq: 1237 }), producerBatch(['u5'], { producerId: 99, epoch: 3, seq: 1239 })]);
  await expectCode(p.append(twoBad), 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'gap inside one append');

  // Clients cannot write control batches, nor transactional batches without a producer id, nor producer batches without a sequence.
  await expectCode(
    p.append(encodeControlBatch({ type: 'commit', producerId: 7, producerEpoch: 1, coordinatorEpoch: 0, timestamp: 1 })),
    'INVALID_RECORD',
    'control',
  );
  await expectCode(
    p.append(encodeRecordBatch({ records: [{ key: null, value: Buffer.from('t') }], transactional: true })),
    'INVALID_RECORD',
    'transactional without producer id',
  );
  await expectCode(
    p.append(encodeRecordBatch({ records: [{ key: null, value: Buffer.from('s') }], producerId: 5, producerEpoch: 0, baseSequence: -1 })),
    'INVALID_RECORD',
    'producer id without sequence',
  );
  assert.equal(p.producerStates().find((s) => s.producerId === 7)?.producerEpoch, 1);
  const end = p.logEndOffset;
  await log.close();

  // After a clean restart the producer state is back (from the close snapshot): retries are still duplicates.
  const again = await openLog(dir);
  const q = again.partition('idem', 0);
  const afterRestart = await q.append(producerBatch(['u2'], { producerId: 99, epoch: 3, seq: 1236 }));
  assert.deepEqual([afterRestart.duplicate, afterRestart.baseOffset], [true, rTwo.lastOffset]);
  await expectCode(q.append(producerBatch(['old'], { producerId: 7, epoch: 0, seq: 10 })), 'INVALID_PRODUCER_EPOCH', 'old epoch after restart');
  assert.equal(q.logEndOffset, end);
  await again.close();
});

test('producer state is rebuilt from the newest readable snapshot plus a replay of the log', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  await log.createTopic('snap', { config: { 'segment.bytes': 1024 } });
  const p = log.partition('snap', 0);
  const sent: Buffer[] = [];
  let seq = 0;
  for (let i = 0; i < 40; i++) {
    const b = producerBatch([`v${i}-${'x'.repeat(60)}`, `w${i}`], { producerId: 11, epoch: 2, seq });
    sent.push(Buffer.from(b));
    seq += 2;
    await p.append(b);
    if (i % 3 === 0) await p.append(batch([{ key: 'plain', value: `p${i}` }]));
  }
  const end = p.logEndOffset;
  const segments = log.describeTopic('snap').partitions[0]!.segments.length;
  assert.ok(segments > 5, `${segments} segments`);
  await log.close();
  const pdir = join(dir, 'snap-0');
  const snapshots = readdirSync(pdir).filter((f) => f.endsWith('.snapshot')).sort();
  assert.ok(snapshots.length >= segments, `a snapshot per rolled segment and one at close: ${snapshots.join(' ')}`);
  assert.equal(snapshots.at(-1), `${String(end).padStart(20, '0')}.snapshot`);

  // Unclean (no clean-shutdown marker): recovery checks the active segment, so the producer state
  // comes from a snapshot at or below its base - the newest two of those are torn here.
  rmSync(join(dir, '.clean-shutdown'));
  truncateSync(join(pdir, snapshots.at(-2)!), 7);
  writeFileSync(join(pdir, snapshots.at(-3)!), Buffer.alloc(40, 1));
  const logger = memoryLogger();
  const again = await openLog(dir, { logger });
  const q = again.partition('snap', 0);
  assert.equal(q.logEndOffset, end);
  assert.equal(logger.lines.filter((l) => l.includes('ignoring producer snapshot')).length, 2, logger.lines.join('\n'));
  const older = Number(snapshots.at(-4)!.slice(0, 20));
  assert.ok(logger.lines.some((l) => l.includes(`rebuilt producer state from the snapshot at ${older}`)), logger.lines.join('\n'));
  // Each of the last 5 batches is recognised as a duplicate; the 6th from last is outside the window.
  for (let i = 35; i < 40; i++) {
    const r = await q.append(Buffer.from(sent[i]!));
    assert.equal(r.duplicate, true, `batch ${i}`);
  }
  await expectCode(q.append(Buffer.from(sent[34]!)), 'OUT_OF_ORDER_SEQUENCE_NUMBER', 'batch 34');
  const next = await q.append(producerBatch(['next'], { producerId: 11, epoch: 2, seq }));
  assert.equal(next.baseOffset, end);
  assert.equal(q.logEndOffset, end + 1);
  await again.close();
});

test('producers expire after producer.id.expiration.ms without writes', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  let now = 1_000_000;
  const log = await openLog(dir, { clock: () => now, producerIdExpirationMs: 60_000 });
  await log.createTopic('exp');
  const p = log.partition('exp', 0);
  await p.append(producerBatch(['a'], { producerId: 1, epoch: 0, seq: 0 }));
  now += 30_000;
  await p.append(producerBatch(['b'], { producerId: 2, epoch: 0, seq: 0, transactional: true }));
  now += 40_000;
  // Producer 1 is idle for 70 s; producer 2 has an open transaction and stays whatever its age.
  assert.equal(p.removeExpiredProducers(), 1);
  assert.deepEqual(p.producerStates().map((s) => s.producerId), [2]);
  // Forgotten: its retry is no longer a duplicate, and any sequence is accepted again.
  const r = await p.append(producerBatch(['a'], { producerId: 1, epoch: 0, seq: 0 }));
  assert.equal(r.duplicate, undefined);
  now += 10 * 60_000;
  assert.equal(p.removeExpiredProducers(), 1);
  assert.deepEqual(p.producerStates().map((s) => [s.producerId, s.currentTransactionStartOffset]), [[2, 1]]);
  await log.close();
});
