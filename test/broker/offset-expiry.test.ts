import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONSUMER_OFFSETS_TOPIC, decodeKey, decodeOffsetValue } from '../../src/log/index.js';
import { ApiKeys, ErrorCodes } from '../../src/protocol/index.js';
import { iterateBatches } from '../../src/records/index.js';
import { RawClient, startTestBroker, tempDir } from './helpers.js';
import { addOffsets, endTxn, fetchOffset, initProducer, txnOffsetCommit } from './txn-helpers.js';

const RETENTION_MS = 60_000;

type TestBroker = Awaited<ReturnType<typeof startTestBroker>>;

async function setup(t: { after: (fn: () => unknown) => void }) {
  const { dir, cleanup } = tempDir();
  // No background expiry: the tests call expireOffsets(now) with the "now" they mean.
  const state = { broker: await startTestBroker(dir, { offsetsRetentionMs: RETENTION_MS, offsetsRetentionCheckIntervalMs: 0 }) };
  const clients: RawClient[] = [];
  const connect = async () => {
    const c = await RawClient.connect(state.broker.port);
    clients.push(c);
    return c;
  };
  t.after(async () => {
    for (const c of clients) c.close();
    await state.broker.close();
    cleanup();
  });
  for (const topic of ['in', 'other']) await state.broker.log.createTopic(topic, { partitions: 2 });
  const restart = async () => {
    for (const c of clients.splice(0)) c.close();
    await state.broker.close();
    state.broker = await startTestBroker(dir, { offsetsRetentionMs: RETENTION_MS, offsetsRetentionCheckIntervalMs: 0 });
  };
  return { state, connect, restart };
}

/** OffsetCommit v8 outside any generation (a standalone consumer) or as a member. */
async function commit(c: RawClient, groupId: string, topic: string, offsets: Record<number, number>, member = { memberId: '', generationId: -1 }) {
  const r = await c.request(ApiKeys.OffsetCommit, 8, {
    groupId,
    generationIdOrMemberEpoch: member.generationId,
    memberId: member.memberId,
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [{ name: topic, partitions: Object.entries(offsets).map(([p, o]) => ({ partitionIndex: Number(p), committedOffset: BigInt(o), committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null })) }],
  });
  return r.topics[0]!.partitions.map((p) => p.errorCode);
}

/** ConsumerProtocolSubscription v0: the topics a member subscribes to. */
function subscription(topics: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1]!.writeInt32BE(topics.length);
  for (const t of topics) {
    const len = Buffer.alloc(2);
    len.writeInt16BE(Buffer.byteLength(t));
    parts.push(len, Buffer.from(t));
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff])); // null user data
  return Buffer.concat(parts);
}

/** One member joins, syncs and is Stable, subscribed to `topics`. */
async function joinAlone(c: RawClient, groupId: string, topics: string[]) {
  const body = (memberId: string) => ({
    groupId,
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 30_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(topics) }],
    reason: null,
  });
  let j = await c.request(ApiKeys.JoinGroup, 7, body(''));
  if (j.errorCode === ErrorCodes.MEMBER_ID_REQUIRED) j = await c.request(ApiKeys.JoinGroup, 7, body(j.memberId));
  assert.equal(j.errorCode, 0);
  const s = await c.request(ApiKeys.SyncGroup, 5, {
    groupId,
    generationId: j.generationId,
    memberId: j.memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: [{ memberId: j.memberId, assignment: Buffer.alloc(0) }],
  });
  assert.equal(s.errorCode, 0);
  return { memberId: j.memberId, generationId: j.generationId };
}

/** Commit timestamps of the group's offset records in `__consumer_offsets`, latest per partition. */
function commitTimestamps(broker: TestBroker, groupId: string): Map<string, number> {
  const out = new Map<string, number>();
  const log = broker.log.partition(CONSUMER_OFFSETS_TOPIC, 0);
  for (const batch of iterateBatches(log.read(0, { maxBytes: 16 << 20 }).records)) {
    if (batch.isControl) continue;
    batch.forEachRecord((_o, _ts, k, v) => {
      const key = k === null ? null : decodeKey(Buffer.from(k));
      if (key?.kind === 'offset' && key.groupId === groupId && v !== null) out.set(`${key.topic}-${key.partition}`, decodeOffsetValue(Buffer.from(v)).commitTimestamp);
    });
  }
  return out;
}

const listed = async (c: RawClient) => (await c.request(ApiKeys.ListGroups, 4, { statesFilter: [], typesFilter: [] })).groups.map((g) => g.groupId).sort();

test('an empty consumer group keeps its offsets for offsets.retention after it became empty, then loses them and is removed; durable across a restart', async (t) => {
  const { state, connect, restart } = await setup(t);
  let c = await connect();
  const member = await joinAlone(c, 'g', ['in']);
  assert.deepEqual(await commit(c, 'g', 'in', { 0: 5, 1: 7 }, member), [0, 0]);
  const leave = await c.request(ApiKeys.LeaveGroup, 5, { groupId: 'g', memberId: '', members: [{ memberId: member.memberId, groupInstanceId: null, reason: null }] });
  assert.equal(leave.errorCode, 0);
  const emptySince = Date.now();
  assert.equal(state.broker.groups.describeGroup('g').groupState, 'Empty');

  // Well after the commit, but not yet the retention after the group emptied: nothing expires.
  assert.equal(await state.broker.groups.expireOffsets(emptySince + RETENTION_MS - 5_000), 0);
  assert.deepEqual(await fetchOffset(c, 'g', 'in', 1, false), [0, 7n]);

  // The restart keeps the time the group became empty, so expiry still counts from then.
  await restart();
  c = await connect();
  assert.equal(await state.broker.groups.expireOffsets(emptySince + RETENTION_MS - 5_000), 0);
  assert.deepEqual(await listed(c), ['g']);
  assert.equal(await state.broker.groups.expireOffsets(emptySince + RETENTION_MS + 1_000), 2);
  assert.deepEqual(await fetchOffset(c, 'g', 'in', 0, false), [0, -1n]);
  assert.deepEqual(await fetchOffset(c, 'g', 'in', 1, false), [0, -1n]);
  assert.deepEqual(await listed(c), [], 'the group without offsets is gone');

  await restart();
  c = await connect();
  assert.deepEqual(await fetchOffset(c, 'g', 'in', 1, false), [0, -1n], 'the expiry was stored (tombstones)');
  assert.deepEqual(await listed(c), []);
});

test('a standalone consumer loses each offset once it was not committed for offsets.retention', async (t) => {
  const { state, connect } = await setup(t);
  const c = await connect();
  assert.deepEqual(await commit(c, 'solo', 'in', { 0: 3 }), [0]);
  await new Promise((r) => setTimeout(r, 5)); // a later commit timestamp for partition 1
  assert.deepEqual(await commit(c, 'solo', 'in', { 1: 4 }), [0]);
  const ts = commitTimestamps(state.broker, 'solo');
  const [t0, t1] = [ts.get('in-0')!, ts.get('in-1')!];
  assert.ok(t1 > t0);

  assert.equal(await state.broker.groups.expireOffsets(t0 + RETENTION_MS - 1), 0);
  assert.equal(await state.broker.groups.expireOffsets(t0 + RETENTION_MS), 1, 'only the older commit expires');
  assert.deepEqual(await fetchOffset(c, 'solo', 'in', 0, false), [0, -1n]);
  assert.deepEqual(await fetchOffset(c, 'solo', 'in', 1, false), [0, 4n]);
  assert.deepEqual(await listed(c), ['solo']);
  assert.equal(await state.broker.groups.expireOffsets(t1 + RETENTION_MS), 1);
  assert.deepEqual(await listed(c), []);
});

test('a stable consumer group keeps the offsets of topics it subscribes to; those of other topics expire by commit time', async (t) => {
  const { state, connect } = await setup(t);
  const c = await connect();
  const member = await joinAlone(c, 'live', ['in']);
  assert.deepEqual(await commit(c, 'live', 'in', { 0: 1 }, member), [0]);
  assert.deepEqual(await commit(c, 'live', 'other', { 0: 2 }, member), [0]);
  const later = Math.max(...commitTimestamps(state.broker, 'live').values()) + RETENTION_MS * 10;
  assert.equal(await state.broker.groups.expireOffsets(later), 1);
  assert.deepEqual(await fetchOffset(c, 'live', 'in', 0, false), [0, 1n]);
  assert.deepEqual(await fetchOffset(c, 'live', 'other', 0, false), [0, -1n]);
  assert.equal(state.broker.groups.describeGroup('live').groupState, 'Stable');
});

test('an offset with a pending transactional commit does not expire, and keeps its group', async (t) => {
  const { state, connect } = await setup(t);
  const c = await connect();
  assert.deepEqual(await commit(c, 'tx-group', 'in', { 0: 10 }), [0]);
  const p = await initProducer(c, 'expiry-txn');
  assert.equal(await addOffsets(c, p, 'tx-group'), 0);
  assert.deepEqual(await txnOffsetCommit(c, p, 'tx-group', 'in', { 0: 20 }), [0]);
  const far = Date.now() + RETENTION_MS * 10;
  assert.equal(await state.broker.groups.expireOffsets(far), 0);
  assert.deepEqual(await listed(c), ['tx-group']);
  assert.equal(await endTxn(c, p, true), 0);
  assert.deepEqual(await fetchOffset(c, 'tx-group', 'in', 0, true), [0, 20n]);
});

test('DeleteGroups: NON_EMPTY_GROUP while members remain; an empty group goes with its pending transactional offsets, which its commit does not bring back, even after a restart', async (t) => {
  const { state, connect, restart } = await setup(t);
  let c = await connect();
  const member = await joinAlone(c, 'busy', ['in']);
  const busy = await c.request(ApiKeys.DeleteGroups, 2, { groupsNames: ['busy'] });
  assert.equal(busy.results[0]!.errorCode, ErrorCodes.NON_EMPTY_GROUP);
  assert.equal(state.broker.groups.describeGroup('busy').members[0]!.memberId, member.memberId);

  // 'doomed' has a plain committed offset on in-0 and transactional ones (pending) on in-0 and in-1.
  assert.deepEqual(await commit(c, 'doomed', 'in', { 0: 1 }), [0]);
  const p = await initProducer(c, 'delete-txn');
  assert.equal(await addOffsets(c, p, 'doomed'), 0);
  assert.deepEqual(await txnOffsetCommit(c, p, 'doomed', 'in', { 0: 30, 1: 31 }), [0, 0]);
  // A group that only a transaction committed offsets for exists, as in Kafka (a simple group).
  const p2 = await initProducer(c, 'delete-txn-2');
  assert.equal(await addOffsets(c, p2, 'txn-only'), 0);
  assert.deepEqual(await txnOffsetCommit(c, p2, 'txn-only', 'other', { 1: 40 }), [0]);

  const deleted = await c.request(ApiKeys.DeleteGroups, 2, { groupsNames: ['doomed', 'txn-only'] });
  assert.deepEqual(deleted.results.map((r) => r.errorCode), [0, 0]);
  assert.deepEqual(await fetchOffset(c, 'doomed', 'in', 1, true), [0, -1n], 'no pending offset left to be unstable about');

  // The transactions commit after the deletion: their offsets stay deleted.
  assert.equal(await endTxn(c, p, true), 0);
  assert.equal(await endTxn(c, p2, true), 0);
  assert.deepEqual(await fetchOffset(c, 'doomed', 'in', 0, true), [0, -1n]);
  assert.deepEqual(await fetchOffset(c, 'doomed', 'in', 1, true), [0, -1n]);
  assert.deepEqual(await fetchOffset(c, 'txn-only', 'other', 1, true), [0, -1n]);

  await restart();
  c = await connect();
  assert.deepEqual(await fetchOffset(c, 'doomed', 'in', 0, true), [0, -1n], 'replay: the tombstones drop the pending offsets before the commit marker');
  assert.deepEqual(await fetchOffset(c, 'doomed', 'in', 1, true), [0, -1n]);
  assert.deepEqual(await fetchOffset(c, 'txn-only', 'other', 1, true), [0, -1n]);
  assert.ok(!(await listed(c)).includes('doomed'));
});
