import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKeys, ErrorCodes } from '../../src/protocol/index.js';
import { RawClient, startTestBroker, tempDir } from './helpers.js';

/**
 * Broker close with requests parked on the broker: a long-poll Fetch and a JoinGroup waiting for
 * the rest of the group. close() must resolve promptly (connections destroyed, waiters and timers
 * dropped), not when the long poll or the rebalance timeout would have ended.
 */

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function joinBody(memberId: string) {
  return {
    groupId: 'g',
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 300_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.from('m') }],
    reason: null,
  };
}

async function join(c: RawClient, memberId = '') {
  let r = await c.request(ApiKeys.JoinGroup, 7, joinBody(memberId));
  if (r.errorCode === ErrorCodes.MEMBER_ID_REQUIRED) r = await c.request(ApiKeys.JoinGroup, 7, joinBody(r.memberId));
  return r;
}

test('close resolves while a client is in a long-poll Fetch and a member waits in JoinGroup; their connections are closed', async () => {
  const { dir, cleanup } = tempDir();
  const broker = await startTestBroker(dir);
  const fetcher = await RawClient.connect(broker.port);
  const m1 = await RawClient.connect(broker.port);
  const m2 = await RawClient.connect(broker.port);
  try {
    await broker.log.createTopic('t', { partitions: 1 });
    // Generation 1 with m1 alone; then m2 joins and waits (up to the 300 s rebalance timeout) for m1.
    const j1 = await join(m1);
    assert.equal(j1.errorCode, ErrorCodes.NONE);
    const s1 = await m1.request(ApiKeys.SyncGroup, 5, {
      groupId: 'g', generationId: j1.generationId, memberId: j1.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range',
      assignments: [{ memberId: j1.memberId, assignment: Buffer.from('a') }],
    });
    assert.equal(s1.errorCode, ErrorCodes.NONE);
    const joining = join(m2).then((r) => r, () => null);

    // A Fetch at the end of an empty partition, waiting up to 5 minutes for data.
    const fetching = fetcher
      .request(ApiKeys.Fetch, 11, {
        maxWaitMs: 300_000,
        minBytes: 1,
        maxBytes: 1 << 20,
        isolationLevel: 1,
        topics: [{ topic: 't', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
      })
      .then((r) => r, () => null);
    await new Promise((r) => setTimeout(r, 300));

    await within(broker.close(), 10_000, 'broker.close()');
    assert.ok(await fetcher.waitClosed(5_000), 'the fetching connection was closed');
    assert.ok(await m2.waitClosed(5_000), 'the joining member\'s connection was closed');
    await within(fetching, 5_000, 'the long-poll Fetch');
    await within(joining, 5_000, 'the JoinGroup');
  } finally {
    for (const c of [fetcher, m1, m2]) c.close();
    await broker.close();
    cleanup();
  }
});
