import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readInt64 } from '../../src/records/int64.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { TRANSACTION_STATE_TOPIC, type LogManager, type PartitionLog, type TransactionCompletion } from '../../src/log/index.js';
import { batch, openLog, tempDir } from './helpers.js';
import { consume, expectCode, manualClock, markerOffsets, producerBatch } from './txn-helpers.js';

const PARTS = [
  { topic: 'ta', partition: 0 },
  { topic: 'ta', partition: 1 },
  { topic: 'tb', partition: 0 },
  { topic: 'tb', partition: 1 },
];

async function twoTopics(log: LogManager): Promise<PartitionLog[]> {
  await log.createTopic('ta', { partitions: 2 });
  await log.createTopic('tb', { partitions: 2 });
  return PARTS.map((tp) => log.partition(tp.topic, tp.partition));
}

test('commit and abort across 2 topics x 2 partitions: LSO, read_committed, aborted lists, the consumer filter, txn index', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  const parts = await twoTopics(log);
  const coord = await log.transactionCoordinator({ abortTimedOutTransactionsIntervalMs: 0 });
  const completions: TransactionCompletion[] = [];
  coord.onTransactionComplete((c) => completions.push(c));

  const a = await coord.initProducerId('txn-a', 60_000);
  const b = await coord.initProducerId('txn-b', 60_000);
  assert.notEqual(a.producerId, b.producerId);
  await coord.addPartitions('txn-a', a.producerId, a.producerEpoch, PARTS);
  await coord.addPartitions('txn-b', b.producerId, b.producerEpoch, PARTS);
  assert.equal(coord.describe('txn-a')?.state, 'Ongoing');

  // Per partition: plain, a0 (A opens), b0 (B opens), plain, a1, b1 - interleaved.
  const seqs = new Map<string, number>();
  const send = async (p: PartitionLog, who: 'a' | 'b', values: string[]): Promise<number> => {
    const id = who === 'a' ? a : b;
    const k = `${who}${p.topic}${p.partition}`;
    const seq = seqs.get(k) ?? 0;
    seqs.set(k, seq + values.length);
    const r = await p.append(producerBatch(values, { producerId: id.producerId, epoch: id.producerEpoch, seq, transactional: true }));
    return r.baseOffset;
  };
  const firstA: number[] = [];
  const firstB: number[] = [];
  for (const [i, p] of parts.entries()) {
    await p.append(batch([{ key: 'x', value: `plain-${i}-0` }]));
    firstA.push(await send(p, 'a', [`a-${i}-0`, `a-${i}-1`]));
    firstB.push(await send(p, 'b', [`b-${i}-0`]));
    await p.append(batch([{ key: 'x', value: `plain-${i}-1` }]));
    await send(p, 'a', [`a-${i}-2`]);
    await send(p, 'b', [`b-${i}-1`, `b-${i}-2`]);
  }
  for (const [i, p] of parts.entries()) {
    // The LSO is held at A's first offset; read_committed returns nothing at or past it.
    assert.equal(p.lastStableOffset, firstA[i]);
    assert.equal(p.openTransactions, 2);
    assert.deepEqual(consume(p, 'read_committed').map((r) => r.value), [`plain-${i}-0`]);
    assert.equal(consume(p, 'read_uncommitted').length, 8);
    const r = p.read(0, { isolation: 'read_committed' });
    assert.deepEqual(r.abortedTransactions, []);
    assert.equal(p.read(0).abortedTransactions, null);
  }
  // A non-transactional batch from a producer with an open transaction is refused.
  await expectCode(parts[0]!.append(producerBatch(['nt'], { producerId: a.producerId, epoch: a.producerEpoch, seq: 3 })), 'INVALID_TXN_STATE', 'non-txn write');

  // B aborts: LSO still held by A.
  await coord.endTxn('txn-b', b.producerId, b.producerEpoch, false);
  assert.equal(coord.describe('txn-b')?.state, 'CompleteAbort');
  for (const [i, p] of parts.entries()) {
    assert.equal(p.lastStableOffset, firstA[i]);
    assert.equal(p.openTransactions, 1);
  }
  // A commits: everything is stable.
  await coord.endTxn('txn-a', a.producerId, a.producerEpoch, true);
  assert.equal(coord.describe('txn-a')?.state, 'CompleteCommit');
  assert.deepEqual(
    completions.map((c) => [c.transactionalId, c.committed, c.partitions.length]),
    [
      ['txn-b', false, 4],
      ['txn-a', true, 4],
    ],
  );

  const check = (p: PartitionLog, i: number): void => {
    assert.equal(p.lastStableOffset, p.highWatermark);
    assert.equal(p.openTransactions, 0);
    // Markers: B's abort, then A's commit, at the end.
    assert.deepEqual(markerOffsets(p), [p.logEndOffset - 2, p.logEndOffset - 1]);
    // The whole partition in one read: B's transaction in the aborted list.
    const whole = p.read(0, { isolation: 'read_committed', maxBytes: 1 << 20 });
    assert.deepEqual(whole.abortedTransactions, [{ producerId: b.producerId, firstOffset: firstB[i] }]);
    // Exactly the committed records, in order, whatever the fetch size.
    const expected = [`plain-${i}-0`, `a-${i}-0`, `a-${i}-1`, `plain-${i}-1`, `a-${i}-2`];
    for (const maxBytes of [1, 100, 1 << 20]) assert.deepEqual(consume(p, 'read_committed', 0, maxBytes).map((r) => r.value), expected, `maxBytes ${maxBytes}`);
    // Uncommitted readers see everything but markers.
    assert.equal(consume(p, 'read_uncommitted').length, 8);
    // A read that starts after B's data and marker carries no aborted transaction.
    assert.deepEqual(p.read(p.logEndOffset - 1, { isolation: 'read_committed' }).abortedTransactions, []);
    // One starting inside B's range does (B's first batch is before the start but its marker after).
    assert.deepEqual(p.read(firstB[i]! + 1, { isolation: 'read_committed' }).abortedTransactions, [{ producerId: b.producerId, firstOffset: firstB[i] }]);
    // One ending before B started does not.
    assert.deepEqual(p.read(0, { isolation: 'read_committed', maxOffset: firstB[i] }).abortedTransactions, []);
  };
  parts.forEach(check);

  // The aborted transaction is in the marker's segment's .txnindex, Kafka's layout.
  const idx = readFileSync(join(dir, 'ta-1', '00000000000000000000.txnindex'));
  assert.equal(idx.length, 34);
  const p1 = parts[1]!;
  assert.deepEqual(
    [idx.readInt16BE(0), readInt64(idx, 2), readInt64(idx, 10), readInt64(idx, 18), readInt64(idx, 26)],
    [0, b.producerId, firstB[1], p1.logEndOffset - 2, firstA[1]],
  );
  // Retrying the commit is fine; aborting a committed transaction is not; nor is ending with none open.
  await coord.endTxn('txn-a', a.producerId, a.producerEpoch, true);
  await expectCode(coord.endTxn('txn-a', a.producerId, a.producerEpoch, false), 'INVALID_TXN_STATE', 'abort after commit');
  const c = await coord.initProducerId('txn-c', 1000);
  await expectCode(coord.endTxn('txn-c', c.producerId, c.producerEpoch, true), 'INVALID_TXN_STATE', 'commit with nothing open');
  await expectCode(coord.endTxn('txn-c', a.producerId, c.producerEpoch, true), 'INVALID_PRODUCER_ID_MAPPING', 'wrong producer id');
  await expectCode(coord.addPartitions('nope', 1, 0, PARTS), 'INVALID_PRODUCER_ID_MAPPING', 'unknown transactional id');
  await expectCode(coord.addPartitions('txn-c', c.producerId, c.producerEpoch, [{ topic: 'missing', partition: 0 }]), 'UNKNOWN_TOPIC_OR_PARTITION', 'unknown topic');
  await expectCode(coord.initProducerId('txn-d', 0), 'INVALID_TRANSACTION_TIMEOUT', 'timeout 0');
  await expectCode(coord.initProducerId('txn-d', 16 * 60_000), 'INVALID_TRANSACTION_TIMEOUT', 'timeout above max');
  await log.close();

  // Reopened cleanly: same answers (txn indexes and producer state from disk).
  const again = await openLog(dir);
  PARTS.map((tp) => again.partition(tp.topic, tp.partition)).forEach(check);
  await again.close();

  // Unclean, with every recovery point lost and the txn indexes deleted: rebuilt from the log.
  rmSync(join(dir, '.clean-shutdown'));
  rmSync(join(dir, 'recovery-point-offset-checkpoint'));
  for (const tp of PARTS) {
    const pdir = join(dir, `${tp.topic}-${tp.partition}`);
    for (const f of readdirSync(pdir)) if (f.endsWith('.txnindex') || f.endsWith('.snapshot')) rmSync(join(pdir, f));
  }
  const third = await openLog(dir);
  PARTS.map((tp) => third.partition(tp.topic, tp.partition)).forEach(check);
  assert.ok(existsSync(join(dir, 'ta-1', '00000000000000000000.txnindex')));
  await third.close();
});

test('fencing: a new initProducerId bumps the epoch, aborts the old transaction and fences the old producer', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  const parts = await twoTopics(log);
  const coord = await log.transactionCoordinator({ abortTimedOutTransactionsIntervalMs: 0 });
  const old = await coord.initProducerId('app-0', 60_000);
  assert.equal(old.producerEpoch, 0);
  await coord.addPartitions('app-0', old.producerId, old.producerEpoch, PARTS.slice(0, 2));
  for (const p of parts.slice(0, 2)) {
    await p.append(producerBatch(['zombie-0'], { producerId: old.producerId, epoch: old.producerEpoch, seq: 0, transactional: true }));
  }
  assert.equal(parts[0]!.lastStableOffset, 0);

  // The replacement: same producer id, epoch + 1; the zombie's open transaction is aborted with markers.
  const next = await coord.initProducerId('app-0', 60_000);
  assert.deepEqual([next.producerId, next.producerEpoch], [old.producerId, old.producerEpoch + 1]);
  for (const p of parts.slice(0, 2)) {
    assert.equal(p.lastStableOffset, p.highWatermark);
    assert.deepEqual(markerOffsets(p), [1]);
    assert.deepEqual(consume(p, 'read_committed'), []);
  }
  // The zombie is fenced everywhere: its appends, its transaction calls.
  await expectCode(
    parts[0]!.append(producerBatch(['zombie-1'], { producerId: old.producerId, epoch: old.producerEpoch, seq: 1, transactional: true })),
    'INVALID_PRODUCER_EPOCH',
    'zombie append',
  );
  await expectCode(coord.endTxn('app-0', old.producerId, old.producerEpoch, true), 'PRODUCER_FENCED', 'zombie commit');
  await expectCode(coord.addPartitions('app-0', old.producerId, old.producerEpoch, PARTS), 'PRODUCER_FENCED', 'zombie addPartitions');
  await expectCode(coord.addOffsets('app-0', old.producerId, old.producerEpoch, 'group'), 'PRODUCER_FENCED', 'zombie addOffsets');

  // The new producer works, starting its sequences at 0 in the new epoch.
  await coord.addPartitions('app-0', next.producerId, next.producerEpoch, PARTS);
  for (const p of parts) await p.append(producerBatch(['new'], { producerId: next.producerId, epoch: next.producerEpoch, seq: 0, transactional: true }));
  await coord.endTxn('app-0', next.producerId, next.producerEpoch, true);
  for (const p of parts) assert.deepEqual(consume(p, 'read_committed').map((r) => r.value), ['new']);

  // KIP-360: re-initialising with the current id and epoch bumps; a retry of that bump gets the same epoch; older is fenced.
  const bumped = await coord.initProducerId('app-0', 60_000, next);
  assert.equal(bumped.producerEpoch, next.producerEpoch + 1);
  const retried = await coord.initProducerId('app-0', 60_000, next);
  assert.equal(retried.producerEpoch, bumped.producerEpoch);
  await expectCode(coord.initProducerId('app-0', 60_000, old), 'PRODUCER_FENCED', 'KIP-360 stale epoch');
  await expectCode(coord.initProducerId('app-0', 60_000, { producerId: 12345, producerEpoch: 0 }), 'PRODUCER_FENCED', 'KIP-360 wrong id');
  // A fresh instance's bump forgets the previous epoch: the instance it replaced cannot take over
  // by claiming a KIP-360 retry, with or without a transaction open.
  const fresh = await coord.initProducerId('app-0', 60_000);
  assert.equal(fresh.producerEpoch, bumped.producerEpoch + 1);
  await expectCode(coord.initProducerId('app-0', 60_000, bumped), 'PRODUCER_FENCED', 'KIP-360 retry by the replaced instance');
  await coord.addPartitions('app-0', fresh.producerId, fresh.producerEpoch, PARTS.slice(0, 1));
  await expectCode(coord.initProducerId('app-0', 60_000, bumped), 'PRODUCER_FENCED', 'KIP-360 stale epoch with a transaction open');
  assert.equal(coord.describe('app-0')!.state, 'Ongoing');
  await coord.endTxn('app-0', fresh.producerId, fresh.producerEpoch, false);
  const bumpedAgain = await coord.initProducerId('app-0', 60_000, fresh);
  assert.equal(bumpedAgain.producerEpoch, fresh.producerEpoch + 1);

  // Concurrent operations on one transactional id: the second is CONCURRENT_TRANSACTIONS.
  await coord.addPartitions('app-0', bumpedAgain.producerId, bumpedAgain.producerEpoch, PARTS.slice(0, 1));
  await parts[0]!.append(producerBatch(['c'], { producerId: bumpedAgain.producerId, epoch: bumpedAgain.producerEpoch, seq: 0, transactional: true }));
  const ending = coord.endTxn('app-0', bumpedAgain.producerId, bumpedAgain.producerEpoch, true);
  await expectCode(coord.addPartitions('app-0', bumpedAgain.producerId, bumpedAgain.producerEpoch, PARTS), 'CONCURRENT_TRANSACTIONS', 'during commit');
  await ending;

  // Producer ids are never handed out twice, across restarts too.
  const ids = new Set<number>([old.producerId]);
  for (let i = 0; i < 5; i++) ids.add((await coord.initProducerId(null, 1000)).producerId);
  await log.close();
  const again = await openLog(dir);
  const coord2 = await again.transactionCoordinator({ abortTimedOutTransactionsIntervalMs: 0 });
  assert.ok(coord2.coordinatorEpoch > coord.coordinatorEpoch);
  for (let i = 0; i < 5; i++) {
    const id = (await coord2.initProducerId(null, 1000)).producerId;
    assert.ok(!ids.has(id), `id ${id} handed out again`);
    ids.add(id);
  }
  const c = await coord2.initProducerId('fresh', 1000);
  assert.ok(!ids.has(c.producerId));
  // The fenced producer stays fenced after the restart.
  const q = again.partition('ta', 0);
  await expectCode(
    q.append(producerBatch(['zombie-2'], { producerId: old.producerId, epoch: old.producerEpoch, seq: 1, transactional: true })),
    'INVALID_PRODUCER_EPOCH',
    'zombie after restart',
  );
  await again.close();
});

test('a transaction older than its timeout is aborted and its producer fenced (method and background timer)', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const clock = manualClock();
  const log = await openLog(dir, { clock: clock.now });
  const parts = await twoTopics(log);
  const coord = await log.transactionCoordinator({ abortTimedOutTransactionsIntervalMs: 0 });
  const p = await coord.initProducerId('slow', 5_000);
  await coord.addPartitions('slow', p.producerId, p.producerEpoch, PARTS);
  for (const part of parts) await part.append(producerBatch(['late'], { producerId: p.producerId, epoch: p.producerEpoch, seq: 0, transactional: true }));
  clock.advance(4_000);
  assert.deepEqual(await coord.abortTimedOutTransactions(), []);
  clock.advance(2_000);
  assert.deepEqual(await coord.abortTimedOutTransactions(), ['slow']);
  const d = coord.describe('slow')!;
  assert.equal(d.state, 'CompleteAbort');
  assert.equal(d.producerEpoch, p.producerEpoch + 1);
  for (const part of parts) {
    assert.equal(part.lastStableOffset, part.highWatermark);
    assert.deepEqual(consume(part, 'read_committed'), []);
    assert.deepEqual(part.read(0, { isolation: 'read_committed' }).abortedTransactions, [{ producerId: p.producerId, firstOffset: 0 }]);
  }
  await expectCode(coord.endTxn('slow', p.producerId, p.producerEpoch, true), 'PRODUCER_FENCED', 'commit after timeout');
  await expectCode(
    parts[0]!.append(producerBatch(['later'], { producerId: p.producerId, epoch: p.producerEpoch, seq: 1, transactional: true })),
    'INVALID_PRODUCER_EPOCH',
    'append after timeout',
  );
  await log.close();

  // The background check, on the real clock.
  const { dir: dir2, cleanup: cleanup2 } = tempDir();
  t.after(cleanup2);
  const log2 = await openLog(dir2);
  await log2.createTopic('bg');
  const coord2 = await log2.transactionCoordinator({ abortTimedOutTransactionsIntervalMs: 20 });
  const q = await coord2.initProducerId('bg', 50);
  await coord2.addPartitions('bg', q.producerId, q.producerEpoch, [{ topic: 'bg', partition: 0 }]);
  await log2.partition('bg', 0).append(producerBatch(['x'], { producerId: q.producerId, epoch: q.producerEpoch, seq: 0, transactional: true }));
  const deadline = Date.now() + 5_000;
  while (coord2.describe('bg')!.state !== 'CompleteAbort' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(coord2.describe('bg')!.state, 'CompleteAbort');
  assert.equal(log2.partition('bg', 0).lastStableOffset, 2);
  await log2.close();
});

test('restart in every state: Ongoing stays open then times out; PrepareCommit and PrepareAbort complete on open', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const clock = manualClock();
  const log = await openLog(dir, { clock: clock.now });
  const parts = await twoTopics(log);
  const coord = await log.transactionCoordinator({ abortTimedOutTransactionsIntervalMs: 0 });

  // 'ongoing': left open. 'committing' / 'aborting': prepared, markers written to one partition of four.
  const ids: Record<string, { producerId: number; producerEpoch: number }> = {};
  for (const name of ['ongoing', 'committing', 'aborting', 'done']) {
    const id = await coord.initProducerId(name, 10_000);
    ids[name] = id;
    await coord.addPartitions(name, id.producerId, id.producerEpoch, PARTS);
    await coord.addOffsets(name, id.producerId, id.producerEpoch, `group-${name}`);
    for (const p of parts) await p.append(producerBatch([`${name}-${p.topic}${p.partition}`], { producerId: id.producerId, epoch: id.producerEpoch, seq: 0, transactional: true }));
  }
  await coord.endTxn('done', ids.done!.producerId, ids.done!.producerEpoch, true);
  // Simulate a coordinator that died mid-commit: PrepareX written, markers partly written.
  const { encodeTransactionKey, encodeTransactionValue } = await import('../../src/log/transactions/state-codec.js');
  const { encodeRecordBatch } = await import('../../src/records/record-batch.js');
  for (const [name, state] of [['committing', 'PrepareCommit'], ['aborting', 'PrepareAbort']] as const) {
    const d = coord.describe(name)!;
    const meta = { ...d, lastProducerId: -1, lastProducerEpoch: -1, state, txnLastUpdateTimestamp: clock.now() };
    await log
      .partition(TRANSACTION_STATE_TOPIC, 0)
      .append(encodeRecordBatch({ records: [{ key: encodeTransactionKey(name), value: encodeTransactionValue(meta), timestamp: clock.now() }] }));
    await parts[0]!.appendTxnMarker({
      producerId: d.producerId,
      producerEpoch: d.producerEpoch,
      type: state === 'PrepareCommit' ? 'commit' : 'abort',
      coordinatorEpoch: coord.coordinatorEpoch,
    });
  }
  // Only 'ongoing' (in all four) and the half-done ones (in three) hold the LSO.
  assert.equal(parts[0]!.openTransactions, 1);
  assert.equal(parts[1]!.openTransactions, 3);
  await log.close();

  clock.advance(1_000);
  const again = await openLog(dir, { clock: clock.now });
  const heard: TransactionCompletion[] = [];
  const coord2 = await again.transactionCoordinator({ abortTimedOutTransactionsIntervalMs: 0, onTransactionComplete: (c) => heard.push(c) });
  assert.deepEqual(
    heard.map((h) => [h.transactionalId, h.committed, h.groups]).sort(),
    [
      ['aborting', false, ['group-aborting']],
      ['committing', true, ['group-committing']],
    ],
  );
  assert.equal(coord2.describe('committing')!.state, 'CompleteCommit');
  assert.equal(coord2.describe('aborting')!.state, 'CompleteAbort');
  assert.equal(coord2.describe('done')!.state, 'CompleteCommit');
  assert.equal(coord2.describe('ongoing')!.state, 'Ongoing');
  const parts2 = PARTS.map((tp) => again.partition(tp.topic, tp.partition));
  for (const p of parts2) {
    // Still held by 'ongoing', whose data is first in every partition.
    assert.equal(p.openTransactions, 1);
    assert.equal(p.lastStableOffset, 0);
  }
  // 'ongoing' times out (its start time survived the restart) and everything becomes readable.
  clock.advance(9_500);
  assert.deepEqual(await coord2.abortTimedOutTransactions(), ['ongoing']);
  for (const p of parts2) {
    assert.equal(p.lastStableOffset, p.highWatermark);
    assert.deepEqual(
      consume(p, 'read_committed').map((r) => r.value),
      [`committing-${p.topic}${p.partition}`, `done-${p.topic}${p.partition}`],
    );
  }
  // Transactional id expiry: idle ids are forgotten (tombstoned) after transactional.id.expiration.ms.
  clock.advance(8 * 24 * 3600 * 1000);
  await coord2.abortTimedOutTransactions();
  assert.equal(coord2.list().length, 0);
  await again.close();
  const third = await openLog(dir, { clock: clock.now });
  const coord3 = await third.transactionCoordinator({ abortTimedOutTransactionsIntervalMs: 0 });
  assert.equal(coord3.list().length, 0);
  await third.close();
});

test('addOffsets puts the group offsets partition in the transaction and tells listeners', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  await log.createTopic('__consumer_offsets', { partitions: 4, config: { 'cleanup.policy': 'compact' } });
  await log.createTopic('out');
  const coord = await log.transactionCoordinator({ abortTimedOutTransactionsIntervalMs: 0 });
  const heard: TransactionCompletion[] = [];
  const stop = coord.onTransactionComplete((c) => heard.push(c));
  const id = await coord.initProducerId('eos', 10_000);
  await coord.addPartitions('eos', id.producerId, id.producerEpoch, [{ topic: 'out', partition: 0 }]);
  await coord.addOffsets('eos', id.producerId, id.producerEpoch, 'my-group');
  // Kafka's partition for the group: abs(javaHash("my-group")) % 4.
  let h = 0;
  for (const ch of 'my-group') h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  const expected = Math.abs(h) % 4;
  assert.deepEqual(coord.describe('eos')!.partitions, [
    { topic: 'out', partition: 0 },
    { topic: '__consumer_offsets', partition: expected },
  ]);
  // The group store writes the transactional offset commit for the producer (TxnOffsetCommit):
  // its id and epoch, no sequence - Kafka's coordinator origin.
  const offsets = log.partition('__consumer_offsets', expected);
  const offsetRecord = encodeRecordBatch({
    records: [{ key: Buffer.from('my-group/out/0'), value: Buffer.from('offset=42') }],
    producerId: id.producerId,
    producerEpoch: id.producerEpoch,
    baseSequence: -1,
    transactional: true,
  });
  await expectCode(offsets.append(Buffer.from(offsetRecord)), 'INVALID_RECORD', 'a client must send a sequence');
  await offsets.append(offsetRecord, { origin: 'coordinator' });
  assert.equal(offsets.lastStableOffset, 0);
  await coord.endTxn('eos', id.producerId, id.producerEpoch, true);
  assert.deepEqual(markerOffsets(offsets), [1]);
  assert.deepEqual(consume(offsets, 'read_committed').map((r) => r.value), ['offset=42']);
  assert.deepEqual(heard.map((c) => [c.committed, c.groups]), [[true, ['my-group']]]);
  stop();
  const id2 = await coord.initProducerId('eos', 10_000);
  await coord.addOffsets('eos', id2.producerId, id2.producerEpoch, 'my-group');
  await coord.endTxn('eos', id2.producerId, id2.producerEpoch, false);
  assert.equal(heard.length, 1, 'unsubscribed');
  await log.close();
});
