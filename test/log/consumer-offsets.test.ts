import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  CONSUMER_OFFSETS_TOPIC,
  ConsumerOffsetsTopic,
  LogManager,
  decodeGroupValue,
  decodeKey,
  decodeOffsetValue,
  groupKey,
  groupPartition,
  groupValue,
  javaStringHash,
  offsetKey,
  offsetValue,
  silentLogger,
} from '../../src/log/index.js';

test('__consumer_offsets records round-trip: offset keys and values, group keys and values', () => {
  const text = fc.string({ maxLength: 40 });
  fc.assert(
    fc.property(text, text, fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: -1, max: 2 ** 40 }), text, (group, topic, partition, offset, metadata) => {
      assert.deepEqual(decodeKey(offsetKey(group, topic, partition)), { kind: 'offset', groupId: group, topic, partition });
      assert.deepEqual(decodeKey(groupKey(group)), { kind: 'group', groupId: group });
      const o = { offset, leaderEpoch: 3, metadata, commitTimestamp: 1_700_000_000_000 };
      assert.deepEqual(decodeOffsetValue(offsetValue(o)), o);
    }),
  );
  const member = fc.record({
    memberId: text,
    groupInstanceId: fc.option(text, { nil: null }),
    clientId: text,
    clientHost: text,
    rebalanceTimeoutMs: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    sessionTimeoutMs: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
    subscription: fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a)),
    assignment: fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a)),
  }).map((m) => ({ ...m })); // plain objects, as the decoder builds them
  fc.assert(
    fc.property(
      fc.record({
        protocolType: text,
        generationId: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        protocolName: fc.option(text, { nil: null }),
        leaderId: fc.option(text, { nil: null }),
        currentStateTimestamp: fc.integer({ min: 0, max: 2 ** 45 }),
        members: fc.array(member, { maxLength: 4 }),
      }),
      (g) => assert.deepEqual(decodeGroupValue(groupValue(g)), { ...g }),
    ),
  );
  // A truncated value is a CorruptRecordError, not a garbage read.
  assert.throws(() => decodeOffsetValue(offsetValue({ offset: 1, leaderEpoch: -1, metadata: 'm', commitTimestamp: 2 }).subarray(0, 12)), /truncated/);
});

test("a group's partition is Kafka's: abs(String.hashCode) % partitions", () => {
  assert.equal(javaStringHash('hello'), 99162322); // "hello".hashCode() in Java
  assert.equal(javaStringHash('polygenelubricants'), -2147483648); // Integer.MIN_VALUE: Utils.abs maps it to 0
  assert.equal(groupPartition('polygenelubricants', 50), 0);
  assert.equal(groupPartition('hello', 50), 99162322 % 50);
});

test('load(): transactional offsets apply at their commit marker, drop at an abort, stay pending while open, and a plain tombstone drops pending ones', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-offsets-'));
  const log = await LogManager.open({ dataDir: dir, logger: silentLogger, retentionCheckIntervalMs: 0, cleanerIntervalMs: 0 });
  t.after(async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const topic = new ConsumerOffsetsTopic(log, { partitions: 2 });
  await topic.ensure();
  const value = (offset: number) => offsetValue({ offset, leaderEpoch: -1, metadata: '', commitTimestamp: 1 });
  await topic.write('g', [{ key: offsetKey('g', 't', 0), value: value(1) }]);
  const txn = (pid: number, records: [string, number, number][]) =>
    topic.appendTransactional('g', records.map(([tp, p, o]) => ({ key: offsetKey('g', tp, p), value: value(o) })), pid, 0, () => {}).durable;
  const partition = log.partition(CONSUMER_OFFSETS_TOPIC, topic.partitionFor('g'));
  const marker = (pid: number, commit: boolean) => partition.appendTxnMarker({ producerId: pid, producerEpoch: 0, type: commit ? 'commit' : 'abort', coordinatorEpoch: 0 });
  await txn(100, [['t', 0, 10]]);
  await txn(101, [['t', 1, 11]]);
  await txn(102, [['t', 2, 12], ['u', 0, 99]]);
  await txn(103, [['t', 3, 13]]);
  await marker(100, true); // t-0 = 10
  await marker(101, false); // t-1 never
  await topic.write('g', [{ key: offsetKey('g', 'u', 0), value: null }]); // drops 102's pending u-0
  await marker(102, true); // t-2 = 12, u-0 stays gone
  // 103 stays open.
  const loaded = topic.load();
  const offsets = loaded.offsets.get('g')!;
  assert.equal(offsets.get('t')!.get(0)!.offset, 10);
  assert.equal(offsets.get('t')!.has(1), false);
  assert.equal(offsets.get('t')!.get(2)!.offset, 12);
  assert.equal(offsets.get('u')?.has(0) ?? false, false);
  assert.deepEqual(
    [...loaded.pending].map(([pid, list]) => [pid, list.map((e) => `${e.topic}-${e.partition}=${e.value?.offset}`)]),
    [[103, ['t-3=13']]],
  );
});
