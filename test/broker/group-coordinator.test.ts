import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiKeys, ErrorCodes } from '../../src/protocol/index.js';
import { RawClient, sleep, startTestBroker, tempDir } from './helpers.js';

const V = { join: 7, sync: 5, heartbeat: 4, leave: 5, commit: 8, fetch: 8, describe: 5 } as const;

interface Member {
  c: RawClient;
  memberId: string;
  generationId: number;
  leader: string;
  members: { memberId: string; metadata: Buffer }[];
  instance: string | null;
}

function joinBody(groupId: string, memberId: string, protocols: [string, string][], opts: { instance?: string | null; session?: number; rebalance?: number; type?: string } = {}) {
  return {
    groupId,
    sessionTimeoutMs: opts.session ?? 10_000,
    rebalanceTimeoutMs: opts.rebalance ?? 10_000,
    memberId,
    groupInstanceId: opts.instance ?? null,
    protocolType: opts.type ?? 'consumer',
    protocols: protocols.map(([name, meta]) => ({ name, metadata: Buffer.from(meta) })),
    reason: null,
  };
}

/** JoinGroup including the MEMBER_ID_REQUIRED round trip of v4+ (dynamic members). */
async function join(c: RawClient, groupId: string, protocols: [string, string][], opts: Parameters<typeof joinBody>[3] & { memberId?: string } = {}) {
  let r = await c.request(ApiKeys.JoinGroup, V.join, joinBody(groupId, opts.memberId ?? '', protocols, opts));
  if (r.errorCode === ErrorCodes.MEMBER_ID_REQUIRED) r = await c.request(ApiKeys.JoinGroup, V.join, joinBody(groupId, r.memberId, protocols, opts));
  return r;
}

function startJoin(c: RawClient, groupId: string, protocols: [string, string][], opts: Parameters<typeof join>[3] = {}) {
  return join(c, groupId, protocols, opts);
}

function sync(c: RawClient, groupId: string, m: { memberId: string; generationId: number }, assignments: [string, string][] = [], instance: string | null = null) {
  return c.request(ApiKeys.SyncGroup, V.sync, {
    groupId,
    generationId: m.generationId,
    memberId: m.memberId,
    groupInstanceId: instance,
    protocolType: 'consumer',
    protocolName: null,
    assignments: assignments.map(([memberId, a]) => ({ memberId, assignment: Buffer.from(a) })),
  });
}

function heartbeat(c: RawClient, groupId: string, m: { memberId: string; generationId: number }, instance: string | null = null) {
  return c.request(ApiKeys.Heartbeat, V.heartbeat, { groupId, generationId: m.generationId, memberId: m.memberId, groupInstanceId: instance }).then((r) => r.errorCode);
}

async function describe(c: RawClient, groupId: string) {
  return (await c.request(ApiKeys.DescribeGroups, V.describe, { groups: [groupId], includeAuthorizedOperations: false })).groups[0]!;
}

async function setup(t: { after: (fn: () => unknown) => void }, dir?: string) {
  const tmp = dir === undefined ? tempDir() : null;
  const broker = await startTestBroker(dir ?? tmp!.dir, { groupMinSessionTimeoutMs: 100 });
  const clients: RawClient[] = [];
  const connect = async () => {
    const c = await RawClient.connect(broker.port);
    clients.push(c);
    return c;
  };
  t.after(async () => {
    for (const c of clients) c.close();
    await broker.close();
    tmp?.cleanup();
  });
  if (!broker.log.hasTopic('gt')) await broker.log.createTopic('gt', { partitions: 4 });
  return { broker, connect, closeClients: () => clients.forEach((c) => c.close()) };
}

test('two members: protocol chosen by vote among common ones, leader assigns, followers wait in SyncGroup', async (t) => {
  const { connect } = await setup(t);
  const [c1, c2, c3, admin] = [await connect(), await connect(), await connect(), await connect()];
  const j1 = await join(c1, 'g', [['roundrobin', 'm1-rr'], ['range', 'm1-range']]);
  assert.equal(j1.errorCode, 0);
  assert.equal(j1.generationId, 1);
  assert.equal(j1.protocolName, 'roundrobin');
  await sync(c1, 'g', j1, [[j1.memberId, 'all']]);

  // A second member without roundrobin: the group must rebalance to range.
  const j2p = startJoin(c2, 'g', [['range', 'm2-range']]);
  await sleep(100);
  assert.equal(await heartbeat(c1, 'g', j1), ErrorCodes.REBALANCE_IN_PROGRESS);
  const j1b = await join(c1, 'g', [['roundrobin', 'm1-rr'], ['range', 'm1-range']], { memberId: j1.memberId });
  const j2 = await j2p;
  assert.equal(j1b.generationId, 2);
  assert.equal(j2.generationId, 2);
  assert.equal(j1b.protocolName, 'range');
  assert.equal(j1b.leader, j1.memberId, 'the leader stays the leader');
  assert.deepEqual(
    j1b.members.map((m) => [m.memberId, m.metadata.toString()]).sort(),
    [
      [j1.memberId, 'm1-range'],
      [j2.memberId, 'm2-range'],
    ].sort(),
  );
  assert.deepEqual(j2.members, [], 'followers get no member list');

  // A member speaking another protocol type, or none of the group's protocols, is refused.
  assert.equal((await join(c3, 'g', [['range', 'x']], { type: 'connect' })).errorCode, ErrorCodes.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await join(c3, 'g', [['sticky', 'x']])).errorCode, ErrorCodes.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await join(c3, 'g', [['range', 'x']], { session: 50 })).errorCode, ErrorCodes.INVALID_SESSION_TIMEOUT);

  // The follower's SyncGroup waits for the leader's.
  const s2p = sync(c2, 'g', j2);
  await sleep(100);
  assert.equal((await describe(admin, 'g')).groupState, 'CompletingRebalance');
  const s1 = await sync(c1, 'g', j1b, [
    [j1.memberId, 'p0,p1'],
    [j2.memberId, 'p2,p3'],
  ]);
  const s2 = await s2p;
  assert.equal(s1.assignment.toString(), 'p0,p1');
  assert.equal(s2.assignment.toString(), 'p2,p3');
  assert.equal(s2.protocolName, 'range');
  const d = await describe(admin, 'g');
  assert.equal(d.groupState, 'Stable');
  assert.equal(d.protocolData, 'range');
  assert.deepEqual(d.members.map((m) => m.memberAssignment.toString()).sort(), ['p0,p1', 'p2,p3']);

  assert.equal(await heartbeat(c2, 'g', j2), ErrorCodes.NONE);
  assert.equal(await heartbeat(c2, 'g', { ...j2, generationId: 1 }), ErrorCodes.ILLEGAL_GENERATION);
  assert.equal(await heartbeat(c2, 'g', { ...j2, memberId: 'who' }), ErrorCodes.UNKNOWN_MEMBER_ID);
  assert.equal((await sync(c2, 'g', { ...j2, generationId: 9 })).errorCode, ErrorCodes.ILLEGAL_GENERATION);

  // Offsets: members of the current generation may commit; stale generations and strangers may not.
  const commit = (m: { memberId: string; generationId: number }, offset: bigint) =>
    admin.request(ApiKeys.OffsetCommit, V.commit, {
      groupId: 'g',
      generationIdOrMemberEpoch: m.generationId,
      memberId: m.memberId,
      groupInstanceId: null,
      topics: [{ name: 'gt', partitions: [{ partitionIndex: 2, committedOffset: offset, committedLeaderEpoch: 0, committedMetadata: 'meta' }] }],
    });
  assert.equal((await commit(j2, 5n)).topics[0]!.partitions[0]!.errorCode, ErrorCodes.NONE);
  assert.equal((await commit({ ...j2, generationId: 1 }, 6n)).topics[0]!.partitions[0]!.errorCode, ErrorCodes.ILLEGAL_GENERATION);
  assert.equal((await commit({ memberId: 'who', generationId: 2 }, 6n)).topics[0]!.partitions[0]!.errorCode, ErrorCodes.UNKNOWN_MEMBER_ID);
  assert.equal((await commit({ memberId: '', generationId: -1 }, 6n)).topics[0]!.partitions[0]!.errorCode, ErrorCodes.UNKNOWN_MEMBER_ID);
  const fetched = await admin.request(ApiKeys.OffsetFetch, V.fetch, { groups: [{ groupId: 'g', topics: null }] });
  assert.deepEqual(
    fetched.groups[0]!.topics.map((tp) => tp.partitions.map((p) => [tp.name, p.partitionIndex, p.committedOffset, p.committedLeaderEpoch, p.metadata])),
    [[['gt', 2, 5n, 0, 'meta']]],
  );

  // DeleteGroups refuses a group with members.
  const del = await admin.request(ApiKeys.DeleteGroups, 2, { groupsNames: ['g'] });
  assert.equal(del.results[0]!.errorCode, ErrorCodes.NON_EMPTY_GROUP);
  // Both leave (one batch, v3+): the group is empty, then it can be deleted with its offsets.
  const left = await admin.request(ApiKeys.LeaveGroup, V.leave, {
    groupId: 'g',
    members: [
      { memberId: j1.memberId, groupInstanceId: null, reason: null },
      { memberId: j2.memberId, groupInstanceId: null, reason: null },
      { memberId: 'stranger', groupInstanceId: null, reason: null },
    ],
  });
  assert.deepEqual(left.members.map((m) => m.errorCode), [ErrorCodes.NONE, ErrorCodes.NONE, ErrorCodes.UNKNOWN_MEMBER_ID]);
  assert.equal((await describe(admin, 'g')).groupState, 'Empty');
  assert.equal((await admin.request(ApiKeys.DeleteGroups, 2, { groupsNames: ['g', 'never'] })).results.map((r) => r.errorCode).join(), `0,${ErrorCodes.GROUP_ID_NOT_FOUND}`);
  assert.equal((await describe(admin, 'g')).groupState, 'Dead');
  const gone = await admin.request(ApiKeys.OffsetFetch, V.fetch, { groups: [{ groupId: 'g', topics: [{ name: 'gt', partitionIndexes: [2] }] }] });
  assert.equal(gone.groups[0]!.topics[0]!.partitions[0]!.committedOffset, -1n);
});

test('a member whose session expires is removed; one that does not rejoin within the rebalance timeout too', async (t) => {
  const { connect } = await setup(t);
  const [c1, c2, c3] = [await connect(), await connect(), await connect()];
  const opts = { session: 400, rebalance: 600 };
  const j1 = await join(c1, 's', [['range', 'a']], opts);
  await sync(c1, 's', j1, [[j1.memberId, 'x']]);
  const j2p = startJoin(c2, 's', [['range', 'b']], opts);
  await sleep(50);
  const j1b = await join(c1, 's', [['range', 'a']], { ...opts, memberId: j1.memberId });
  const j2 = await j2p;
  await Promise.all([sync(c1, 's', j1b, [[j1.memberId, 'x'], [j2.memberId, 'y']]), sync(c2, 's', j2)]);

  // Member 2 goes silent; member 1 keeps heartbeating and learns of the rebalance.
  let code: number = ErrorCodes.NONE;
  const t0 = Date.now();
  while (code === ErrorCodes.NONE && Date.now() - t0 < 5000) {
    await sleep(100);
    code = await heartbeat(c1, 's', j1b);
  }
  assert.equal(code, ErrorCodes.REBALANCE_IN_PROGRESS);
  const j1c = await join(c1, 's', [['range', 'a']], { ...opts, memberId: j1.memberId });
  assert.equal(j1c.generationId, j1b.generationId + 1);
  assert.deepEqual(j1c.members.map((m) => m.memberId), [j1.memberId]);
  await sync(c1, 's', j1c, [[j1.memberId, 'all']]);

  // A third member joins; member 1 heartbeats but never rejoins: after the rebalance timeout the
  // join completes without it.
  const started = Date.now();
  const j3p = startJoin(c3, 's', [['range', 'c']], opts);
  const keepAlive = setInterval(() => void heartbeat(c1, 's', j1c).catch(() => {}), 100);
  const j3 = await j3p;
  clearInterval(keepAlive);
  const waited = Date.now() - started;
  assert.ok(waited >= 500, `completed after ${waited} ms (rebalance timeout 600)`);
  assert.equal(j3.errorCode, 0);
  assert.deepEqual(j3.members.map((m) => m.memberId), [j3.memberId]);
  assert.equal(j3.leader, j3.memberId);
  assert.equal(await heartbeat(c1, 's', j1c), ErrorCodes.UNKNOWN_MEMBER_ID);
});

test('static membership: a restarted instance gets a new member id without a rebalance; the old id is fenced', async (t) => {
  const { connect } = await setup(t);
  const [c1, c2, admin] = [await connect(), await connect(), await connect()];
  const j1 = await join(c1, 'st', [['range', 'a']], { instance: 'inst-1' });
  assert.equal(j1.errorCode, 0, 'static members join without MEMBER_ID_REQUIRED');
  const j2p = join(c2, 'st', [['range', 'b']], { instance: 'inst-2' });
  await sleep(50);
  const j1b = await join(c1, 'st', [['range', 'a']], { instance: 'inst-1', memberId: j1.memberId });
  const j2 = await j2p;
  await Promise.all([
    sync(c1, 'st', j1b, [[j1.memberId, 'A'], [j2.memberId, 'B']], 'inst-1'),
    sync(c2, 'st', j2, [], 'inst-2'),
  ]);
  const generation = j2.generationId;

  // inst-2 restarts: same instance id, no member id.
  const c2b = await connect();
  const again = await join(c2b, 'st', [['range', 'b']], { instance: 'inst-2' });
  assert.equal(again.errorCode, 0);
  assert.notEqual(again.memberId, j2.memberId);
  assert.equal(again.generationId, generation, 'no rebalance');
  const s = await sync(c2b, 'st', again, [], 'inst-2');
  assert.equal(s.assignment.toString(), 'B', 'the stored assignment');
  assert.equal(await heartbeat(c2, 'st', j2, 'inst-2'), ErrorCodes.FENCED_INSTANCE_ID);
  assert.equal(await heartbeat(c1, 'st', j1b, 'inst-1'), ErrorCodes.NONE, 'the other member saw no rebalance');
  assert.equal((await describe(admin, 'st')).groupState, 'Stable');

  // A static member leaves by instance id; a wrong member id for it is fenced.
  const fenced = await admin.request(ApiKeys.LeaveGroup, V.leave, { groupId: 'st', members: [{ memberId: 'wrong', groupInstanceId: 'inst-2', reason: null }] });
  assert.equal(fenced.members[0]!.errorCode, ErrorCodes.FENCED_INSTANCE_ID);
  const ok = await admin.request(ApiKeys.LeaveGroup, V.leave, { groupId: 'st', members: [{ memberId: '', groupInstanceId: 'inst-2', reason: null }] });
  assert.equal(ok.members[0]!.errorCode, ErrorCodes.NONE);
  assert.equal(await heartbeat(c1, 'st', j1b, 'inst-1'), ErrorCodes.REBALANCE_IN_PROGRESS);
});

test('groups, members and offsets are replayed from __consumer_offsets after a restart', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const first: (() => unknown)[] = [];
  const before = await setup({ after: (fn) => void first.push(fn) }, dir);
  const c1 = await before.connect();
  const j1 = await join(c1, 'persist', [['range', 'meta-1']]);
  await sync(c1, 'persist', j1, [[j1.memberId, 'assigned-1']]);
  await c1.request(ApiKeys.OffsetCommit, V.commit, {
    groupId: 'persist',
    generationIdOrMemberEpoch: j1.generationId,
    memberId: j1.memberId,
    groupInstanceId: null,
    topics: [{ name: 'gt', partitions: [{ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  // A standalone consumer's commit (no group membership), at an old version.
  await c1.request(ApiKeys.OffsetCommit, 2, {
    groupId: 'standalone',
    generationIdOrMemberEpoch: -1,
    memberId: '',
    retentionTimeMs: -1n,
    topics: [{ name: 'gt', partitions: [{ partitionIndex: 3, committedOffset: 7n, committedMetadata: '' }] }],
  });
  for (const fn of first) await fn();

  const { connect } = await setup(t, dir);
  const c = await connect();
  const d = await describe(c, 'persist');
  assert.equal(d.groupState, 'Stable');
  assert.deepEqual(d.members.map((m) => [m.memberId, m.memberMetadata.toString(), m.memberAssignment.toString()]), [[j1.memberId, 'meta-1', 'assigned-1']]);
  // The member carries on where it was, without rejoining.
  assert.equal(await heartbeat(c, 'persist', j1), ErrorCodes.NONE);
  const f = await c.request(ApiKeys.OffsetFetch, V.fetch, {
    groups: [
      { groupId: 'persist', topics: [{ name: 'gt', partitionIndexes: [0, 1] }] },
      { groupId: 'standalone', topics: null },
    ],
  });
  assert.deepEqual(f.groups[0]!.topics[0]!.partitions.map((p) => p.committedOffset), [42n, -1n]);
  assert.deepEqual(f.groups[1]!.topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset]), [[3, 7n]]);
  const listed = await c.request(ApiKeys.ListGroups, 4, { statesFilter: ['stable'] });
  assert.deepEqual(listed.groups.map((g) => g.groupId), ['persist']);
});
