import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeTransactionKey, encodeTransactionValue } from '../../src/log/transactions/state-codec.js';
import { ApiKeys, ErrorCodes } from '../../src/protocol/index.js';
import { encodeRecordBatch } from '../../src/records/index.js';
import { RawClient, eventually, startTestBroker, tempDir } from './helpers.js';
import {
  addOffsets,
  addPartitions,
  consume,
  endTxn,
  fetchOffset,
  initProducer,
  latestOffset,
  produce,
  producerBatch,
  txnOffsetCommit,
} from './txn-helpers.js';

/**
 * Idempotence and transactions over the wire with a bare protocol client: exact error codes per
 * version, zombie fencing, a crashed producer's transaction timing out, and transaction state and
 * transactional offsets across restarts. (Real clients: transactions-kafkajs / -confluent tests.)
 */

test('idempotent produce: a retried batch is stored once and answered with its first offsets; gaps and stale epochs fail', async (t) => {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir);
  const c = await RawClient.connect(broker.port);
  t.after(async () => {
    c.close();
    await broker.close();
    cleanup();
  });
  await broker.log.createTopic('idem', { partitions: 1 });
  await produce(c, null, 'idem', 0, encodeRecordBatch({ records: [{ value: Buffer.from('plain') }] }));
  const p = await initProducer(c, null);
  assert.equal(p.producerEpoch, 0);

  // The same batch twice, pipelined on one connection (a producer retrying after a lost response).
  const batch = producerBatch(p, 0, ['a', 'b', 'c']);
  const req = (id: number) =>
    c.encode(ApiKeys.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'idem', partitionData: [{ index: 0, records: Buffer.from(batch) }] }] }, id);
  c.write([...req(9001), ...req(9002)]);
  const { decodeResponseFrame } = await import('../../src/protocol/index.js');
  const answers = [];
  for (let i = 0; i < 2; i++) answers.push(decodeResponseFrame((await c.next())!, ApiKeys.Produce, 9).body.responses[0]!.partitionResponses[0]!);
  assert.deepEqual(answers.map((a) => [a.errorCode, a.baseOffset]), [
    [0, 1n],
    [0, 1n],
  ]);
  // A third retry, on its own: still the original offset.
  assert.deepEqual(await produce(c, null, 'idem', 0, producerBatch(p, 0, ['a', 'b', 'c'])), [0, 1n]);
  assert.equal(broker.log.partition('idem', 0).logEndOffset, 4, 'one copy of the batch');
  assert.deepEqual((await consume(c, 'idem', 0, 'read_uncommitted')).values, ['plain', 'a', 'b', 'c']);

  // A gap in the sequence: OUT_OF_ORDER_SEQUENCE_NUMBER, nothing written. The next in order works.
  assert.equal((await produce(c, null, 'idem', 0, producerBatch(p, 5, ['x'])))[0], ErrorCodes.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.deepEqual(await produce(c, null, 'idem', 0, producerBatch(p, 3, ['d'])), [0, 4n]);
  // An epoch older than the partition knows: INVALID_PRODUCER_EPOCH.
  assert.equal((await produce(c, null, 'idem', 0, producerBatch({ ...p, producerEpoch: 1 }, 0, ['e'])))[0], 0);
  assert.equal((await produce(c, null, 'idem', 0, producerBatch(p, 4, ['stale'])))[0], ErrorCodes.INVALID_PRODUCER_EPOCH);
  assert.deepEqual((await consume(c, 'idem', 0, 'read_uncommitted')).values, ['plain', 'a', 'b', 'c', 'd', 'e']);

  const described = await c.request(ApiKeys.DescribeProducers, 0, { topics: [{ name: 'idem', partitionIndexes: [0] }] });
  const active = described.topics[0]!.partitions[0]!.activeProducers;
  assert.deepEqual(active.map((a) => [a.producerId, a.producerEpoch, a.lastSequence, a.currentTxnStartOffset]), [[p.producerId, 1, 0, -1n]]);
});

test('zombie fencing: a second producer with the same transactional id fences the first, which writes nothing visible', async (t) => {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir);
  const c1 = await RawClient.connect(broker.port);
  const c2 = await RawClient.connect(broker.port);
  t.after(async () => {
    c1.close();
    c2.close();
    await broker.close();
    cleanup();
  });
  await broker.log.createTopic('z', { partitions: 2 });
  const old = await initProducer(c1, 'zombie');
  assert.deepEqual(await addPartitions(c1, old, 'z', [0]), [0]);
  assert.deepEqual(await produce(c1, 'zombie', 'z', 0, producerBatch(old, 0, ['old-1'])), [0, 0n]);
  // Not added to the transaction, no transactional id, someone else's producer id: refused before the append.
  assert.equal((await produce(c1, 'zombie', 'z', 1, producerBatch(old, 0, ['not-added'])))[0], ErrorCodes.INVALID_TXN_STATE);
  assert.equal((await produce(c1, null, 'z', 0, producerBatch(old, 1, ['no-id'])))[0], ErrorCodes.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  assert.equal((await produce(c1, 'zombie', 'z', 0, producerBatch({ ...old, producerId: old.producerId + 7n }, 0, ['other'])))[0], ErrorCodes.INVALID_PRODUCER_ID_MAPPING);

  // The new instance: same producer id, epoch bumped past the abort of the old one's transaction.
  const fresh = await initProducer(c2, 'zombie');
  assert.equal(fresh.producerId, old.producerId);
  assert.ok(fresh.producerEpoch > old.producerEpoch);

  // The zombie: produce INVALID_PRODUCER_EPOCH; the coordinator's APIs PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before KIP-588's versions).
  assert.equal((await produce(c1, 'zombie', 'z', 0, producerBatch(old, 1, ['old-2'])))[0], ErrorCodes.INVALID_PRODUCER_EPOCH);
  assert.deepEqual(await addPartitions(c1, old, 'z', [0, 1]), [ErrorCodes.PRODUCER_FENCED, ErrorCodes.PRODUCER_FENCED]);
  assert.deepEqual(await addPartitions(c1, old, 'z', [0], 1), [ErrorCodes.INVALID_PRODUCER_EPOCH]);
  assert.equal(await addOffsets(c1, old, 'grp'), ErrorCodes.PRODUCER_FENCED);
  assert.equal(await endTxn(c1, old, true), ErrorCodes.PRODUCER_FENCED);
  assert.equal(await endTxn(c1, old, true, 1), ErrorCodes.INVALID_PRODUCER_EPOCH);
  assert.deepEqual(await txnOffsetCommit(c1, old, 'grp', 'z', { 0: 1 }), [ErrorCodes.INVALID_PRODUCER_EPOCH]);
  const stale = await c1.request(ApiKeys.InitProducerId, 4, { transactionalId: 'zombie', transactionTimeoutMs: 60_000, producerId: old.producerId, producerEpoch: old.producerEpoch });
  assert.equal(stale.errorCode, ErrorCodes.PRODUCER_FENCED);

  // The new instance commits its own transaction, offsets included.
  assert.deepEqual(await addPartitions(c2, fresh, 'z', [0]), [0]);
  assert.equal((await produce(c2, 'zombie', 'z', 0, producerBatch(fresh, 0, ['new-1'])))[0], 0);
  assert.equal(await addOffsets(c2, fresh, 'grp'), 0);
  assert.deepEqual(await txnOffsetCommit(c2, fresh, 'grp', 'z', { 0: 42 }), [0]);
  assert.equal(await endTxn(c2, fresh, true), 0);
  // A retried commit of a completed transaction succeeds; an abort of it does not.
  assert.equal(await endTxn(c2, fresh, true), 0);
  assert.equal(await endTxn(c2, fresh, false), ErrorCodes.INVALID_TXN_STATE);

  assert.deepEqual((await consume(c2, 'z', 0, 'read_committed')).values, ['new-1']);
  assert.deepEqual((await consume(c2, 'z', 0, 'read_uncommitted')).values, ['old-1', 'new-1']);
  assert.deepEqual(await fetchOffset(c2, 'grp', 'z', 0, true), [0, 42n]);
  const d = await c2.request(ApiKeys.DescribeTransactions, 0, { transactionalIds: ['zombie'] });
  assert.deepEqual([d.transactionStates[0]!.transactionState, d.transactionStates[0]!.producerEpoch], ['CompleteCommit', fresh.producerEpoch]);
  const listed = await c2.request(ApiKeys.ListTransactions, 1, { stateFilters: [], producerIdFilters: [fresh.producerId], durationFilter: -1n });
  assert.deepEqual(listed.transactionStates.map((s) => [s.transactionalId, s.transactionState]), [['zombie', 'CompleteCommit']]);
});

test('a crashed producer: its transaction is aborted after its timeout, the LSO moves on and a read_committed long poll wakes', async (t) => {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir, { transactionAbortTimedOutIntervalMs: 100 });
  const watcher = await RawClient.connect(broker.port);
  t.after(async () => {
    watcher.close();
    await broker.close();
    cleanup();
  });
  await broker.log.createTopic('crash', { partitions: 1 });
  await produce(watcher, null, 'crash', 0, encodeRecordBatch({ records: [{ value: Buffer.from('before') }] }));

  const c = await RawClient.connect(broker.port);
  const p = await initProducer(c, 'crashy', 2000);
  assert.deepEqual(await addPartitions(c, p, 'crash', [0]), [0]);
  assert.deepEqual(await produce(c, 'crashy', 'crash', 0, producerBatch(p, 0, ['lost-1', 'lost-2'])), [0, 1n]);
  assert.equal(await addOffsets(c, p, 'crash-group'), 0);
  assert.deepEqual(await txnOffsetCommit(c, p, 'crash-group', 'crash', { 0: 3 }), [0]);
  const started = Date.now();
  c.close(); // the producer dies without ending its transaction

  assert.equal(await latestOffset(watcher, 'crash', 0, true), 1n, 'read_committed stops at the open transaction');
  assert.equal(await latestOffset(watcher, 'crash', 0, false), 3n);
  assert.deepEqual(await fetchOffset(watcher, 'crash-group', 'crash', 0, true), [ErrorCodes.UNSTABLE_OFFSET_COMMIT, -1n]);
  assert.deepEqual(await fetchOffset(watcher, 'crash-group', 'crash', 0, false), [0, -1n]);

  // A read_committed consumer at the LSO long-polls; the abort marker ends the wait.
  const polled = await watcher.request(ApiKeys.Fetch, 11, {
    maxWaitMs: 15_000,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 1,
    topics: [{ topic: 'crash', partitions: [{ partition: 0, fetchOffset: 1n, partitionMaxBytes: 1 << 20 }] }],
  });
  const waited = Date.now() - started;
  assert.ok(waited >= 1500 && waited < 8000, `aborted after ${waited} ms (timeout 2000 ms)`);
  const part = polled.responses[0]!.partitions[0]!;
  assert.equal(part.lastStableOffset, 4n, 'LSO past the abort marker');
  assert.deepEqual(part.abortedTransactions?.map((a) => [a.producerId, a.firstOffset]), [[p.producerId, 1n]]);
  assert.deepEqual((await consume(watcher, 'crash', 0, 'read_committed')).values, ['before']);
  assert.equal(await latestOffset(watcher, 'crash', 0, true), 4n);
  assert.deepEqual(await fetchOffset(watcher, 'crash-group', 'crash', 0, true), [0, -1n], 'the aborted offset commit is dropped');

  const d = (await watcher.request(ApiKeys.DescribeTransactions, 0, { transactionalIds: ['crashy'] })).transactionStates[0]!;
  assert.equal(d.transactionState, 'CompleteAbort');
  assert.equal(d.producerEpoch, p.producerEpoch + 1, 'the timed-out producer is fenced');
  const zombie = await RawClient.connect(broker.port);
  t.after(() => zombie.close());
  assert.equal(await endTxn(zombie, p, true), ErrorCodes.PRODUCER_FENCED);
  assert.ok(broker.logger.lines.some((l) => l.includes('crashy timed out')));
});

test('restart: committed transactional offsets stay, an open transaction stays open and times out, a prepared commit is completed', async (t) => {
  const { dir, cleanup } = tempDir();
  let broker = await startTestBroker(dir, { transactionAbortTimedOutIntervalMs: 100 });
  const clients: RawClient[] = [];
  const connect = async () => {
    const c = await RawClient.connect(broker.port);
    clients.push(c);
    return c;
  };
  t.after(async () => {
    for (const c of clients) c.close();
    await broker.close();
    cleanup();
  });
  await broker.log.createTopic('in', { partitions: 1 });
  await broker.log.createTopic('out', { partitions: 2 });
  let c = await connect();

  // 'open': commits once (out-0: a1 a2, group ga at 2), then leaves a second transaction open.
  const open = await initProducer(c, 'open', 4000);
  const txn = async (p: typeof open, partition: number, values: string[], seq: number, group: string, offset: number, commit: boolean | null) => {
    assert.deepEqual(await addPartitions(c, p, 'out', [partition]), [0]);
    assert.equal((await produce(c, p.transactionalId, 'out', partition, producerBatch(p, seq, values)))[0], 0);
    assert.equal(await addOffsets(c, p, group), 0);
    assert.deepEqual(await txnOffsetCommit(c, p, group, 'in', { 0: offset }), [0]);
    if (commit !== null) assert.equal(await endTxn(c, p, commit), 0);
  };
  await txn(open, 0, ['a1', 'a2'], 0, 'ga', 2, true);
  // An aborted one in between: its offset must not come back at replay.
  await txn(open, 0, ['x1'], 2, 'ga', 99, false);
  await txn(open, 0, ['b1'], 3, 'ga', 5, null);
  // 'prepared': its commit was decided (PrepareCommit stored) but no marker written when the broker stopped.
  const prepared = await initProducer(c, 'prepared', 60_000);
  await txn(prepared, 1, ['p1'], 0, 'gp', 7, null);
  const meta = broker.transactions.describe('prepared')!;
  await broker.log.partition('__transaction_state', 0).append(
    encodeRecordBatch({
      records: [
        {
          key: encodeTransactionKey('prepared'),
          value: encodeTransactionValue({
            ...meta,
            lastProducerId: -1,
            lastProducerEpoch: -1,
            state: 'PrepareCommit',
            txnLastUpdateTimestamp: Date.now(),
          }),
        },
      ],
    }),
  );
  assert.deepEqual(await fetchOffset(c, 'ga', 'in', 0, false), [0, 2n]);
  const beforeStop = Date.now();
  await broker.close();

  broker = await startTestBroker(dir, { transactionAbortTimedOutIntervalMs: 100 });
  c = await connect();
  // The prepared commit was completed at start: its offset and record are visible.
  assert.deepEqual(await fetchOffset(c, 'gp', 'in', 0, true), [0, 7n]);
  assert.deepEqual((await consume(c, 'out', 1, 'read_committed')).values, ['p1']);
  // The open one: still open, its offset pending; the committed offset from before is there.
  const describe = async (id: string) => (await c.request(ApiKeys.DescribeTransactions, 0, { transactionalIds: [id] })).transactionStates[0]!;
  assert.equal((await describe('prepared')).transactionState, 'CompleteCommit');
  if (Date.now() - beforeStop < 2500) {
    assert.equal((await describe('open')).transactionState, 'Ongoing');
    assert.deepEqual(await fetchOffset(c, 'ga', 'in', 0, true), [ErrorCodes.UNSTABLE_OFFSET_COMMIT, -1n]);
    assert.equal(await latestOffset(c, 'out', 0, true), 5n, 'LSO at b1 (a1 a2 commit x1 abort b1)');
  }
  assert.deepEqual(await fetchOffset(c, 'ga', 'in', 0, false), [0, 2n]);
  // Its timeout (4 s from when it began, before the restart) aborts it.
  await eventually(async () => (await describe('open')).transactionState === 'CompleteAbort', 10_000, 'the open transaction to time out');
  assert.deepEqual(await fetchOffset(c, 'ga', 'in', 0, true), [0, 2n]);
  assert.deepEqual((await consume(c, 'out', 0, 'read_committed')).values, ['a1', 'a2']);
  assert.deepEqual((await consume(c, 'out', 0, 'read_uncommitted')).values, ['a1', 'a2', 'x1', 'b1']);

  // Once more: everything replays to the same state.
  await broker.close();
  broker = await startTestBroker(dir);
  c = await connect();
  assert.deepEqual(await fetchOffset(c, 'ga', 'in', 0, true), [0, 2n]);
  assert.deepEqual(await fetchOffset(c, 'gp', 'in', 0, true), [0, 7n]);
  assert.equal((await describe('open')).transactionState, 'CompleteAbort');
  assert.deepEqual((await consume(c, 'out', 0, 'read_committed')).values, ['a1', 'a2']);
  // The producer comes back: same id, newer epoch, and can commit again.
  const back = await initProducer(c, 'open', 4000);
  assert.equal(back.producerId, open.producerId);
  assert.ok(back.producerEpoch > open.producerEpoch);
  await txn(back, 0, ['c1'], 0, 'ga', 9, true);
  assert.deepEqual(await fetchOffset(c, 'ga', 'in', 0, true), [0, 9n]);
  assert.deepEqual((await consume(c, 'out', 0, 'read_committed')).values, ['a1', 'a2', 'c1']);
});
