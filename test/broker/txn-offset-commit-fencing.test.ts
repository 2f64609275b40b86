import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKeys, ErrorCodes } from '../../src/protocol/index.js';
import { RawClient, startTestBroker, tempDir } from './helpers.js';
import { addOffsets, endTxn, fetchOffset, initProducer, type RawProducer } from './txn-helpers.js';

/**
 * EOS-v2 (KIP-447) zombie fencing by the group: a TxnOffsetCommit v3 carries the member's
 * generation and member id; once the group has moved on, the coordinator refuses it
 * (ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID) and its offsets never become the group's, even if the
 * zombie's transaction is then committed.
 */

const JOIN_V = 7;

function joinBody(memberId: string) {
  return {
    groupId: 'g',
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('m') }],
    reason: null,
  };
}

async function join(c: RawClient, memberId = '') {
  let r = await c.request(ApiKeys.JoinGroup, JOIN_V, joinBody(memberId));
  if (r.errorCode === ErrorCodes.MEMBER_ID_REQUIRED) r = await c.request(ApiKeys.JoinGroup, JOIN_V, joinBody(r.memberId));
  assert.equal(r.errorCode, ErrorCodes.NONE);
  return r;
}

function sync(c: RawClient, memberId: string, generationId: number, assignments: string[] = []) {
  return c.request(ApiKeys.SyncGroup, 5, {
    groupId: 'g',
    generationId,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocolName: 'range',
    assignments: assignments.map((m) => ({ memberId: m, assignment: Buffer.from('a') })),
  });
}

async function txnCommit(c: RawClient, p: RawProducer, member: { memberId: string; generationId: number }, offset: bigint): Promise<number> {
  const r = await c.request(ApiKeys.TxnOffsetCommit, 3, {
    transactionalId: p.transactionalId!,
    groupId: 'g',
    producerId: p.producerId,
    producerEpoch: p.producerEpoch,
    generationId: member.generationId,
    memberId: member.memberId,
    groupInstanceId: null,
    topics: [{ name: 'in', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  return r.topics[0]!.partitions[0]!.errorCode;
}

test('TxnOffsetCommit from a member of a stale generation, or a removed member, is refused; its offsets never become visible', async (t) => {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir);
  const c1 = await RawClient.connect(broker.port);
  const c2 = await RawClient.connect(broker.port);
  const admin = await RawClient.connect(broker.port);
  t.after(async () => {
    for (const c of [c1, c2, admin]) c.close();
    await broker.close();
    cleanup();
  });
  await broker.log.createTopic('in', { partitions: 1 });

  // Generation 1: m1 alone.
  const j1 = await join(c1);
  assert.equal((await sync(c1, j1.memberId, j1.generationId, [j1.memberId])).errorCode, ErrorCodes.NONE);
  const old = { memberId: j1.memberId, generationId: j1.generationId };

  // m2 joins; m1 rejoins: generation 2 with both. m1's generation-1 identity is now a zombie's.
  const j2p = join(c2);
  const j1b = await join(c1, j1.memberId);
  const j2 = await j2p;
  assert.equal(j1b.generationId, old.generationId + 1);
  await Promise.all([sync(c1, j1b.memberId, j1b.generationId, [j1b.memberId, j2.memberId]), sync(c2, j2.memberId, j2.generationId)]);

  const zombie = await initProducer(admin, 'zombie-txn');
  assert.equal(await addOffsets(admin, zombie, 'g'), ErrorCodes.NONE);
  assert.equal(await txnCommit(admin, zombie, old, 10n), ErrorCodes.ILLEGAL_GENERATION);
  // A heartbeat answered UNKNOWN_MEMBER_ID makes clients forget their id; the generation still fences.
  assert.equal(await txnCommit(admin, zombie, { memberId: '', generationId: old.generationId }, 10n), ErrorCodes.ILLEGAL_GENERATION);
  assert.equal(await txnCommit(admin, zombie, { memberId: 'gone-member', generationId: j2.generationId }, 10n), ErrorCodes.UNKNOWN_MEMBER_ID);
  assert.deepEqual(await fetchOffset(admin, 'g', 'in', 0, true), [ErrorCodes.NONE, -1n], 'nothing pending: the refused offsets were not written');
  // Even if the zombie ends its transaction with a commit, nothing of it is the group's.
  assert.equal(await endTxn(admin, zombie, true), ErrorCodes.NONE);
  assert.deepEqual(await fetchOffset(admin, 'g', 'in', 0, true), [ErrorCodes.NONE, -1n]);

  // The current generation's member commits through its transaction: visible once it commits.
  const owner = await initProducer(admin, 'owner-txn');
  assert.equal(await addOffsets(admin, owner, 'g'), ErrorCodes.NONE);
  assert.equal(await txnCommit(admin, owner, { memberId: j2.memberId, generationId: j2.generationId }, 7n), ErrorCodes.NONE);
  assert.deepEqual(await fetchOffset(admin, 'g', 'in', 0, true), [ErrorCodes.UNSTABLE_OFFSET_COMMIT, -1n]);
  assert.equal(await endTxn(admin, owner, true), ErrorCodes.NONE);
  assert.deepEqual(await fetchOffset(admin, 'g', 'in', 0, true), [ErrorCodes.NONE, 7n]);
});
