import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDashboard, type Dashboard } from '../../src/dashboard/index.js';
import { partitionForKey } from '../../src/records/partitioner.js';
import { DashboardFixture, eventually, PARTITIONS, USERS } from './fixture.js';

const TOKEN = 'owner-process-token-0123456789';
let f: DashboardFixture;
let owner: Dashboard;
let asker: Dashboard;

before(async () => {
  f = await DashboardFixture.start();
  await f.write(1_000);
  // The "other process" owns partitions 0 and 1 (and needs its token); this one serves 2 and 3.
  owner = await startDashboard({ app: f.app, port: 0, token: TOKEN });
  asker = await startDashboard({
    app: f.app,
    port: 0,
    stateOwner: (_store, partition) => (partition < 2 ? { url: owner.url, headers: { authorization: `Bearer ${TOKEN}` } } : undefined),
  });
});

after(async () => {
  await asker?.close();
  await owner?.close();
  await f?.close();
});

function userOn(partition: number): string {
  for (let i = 0; i < USERS; i++) if (partitionForKey(Buffer.from(`user-${i}`), PARTITIONS) === partition) return `user-${i}`;
  throw new Error(`no user on partition ${partition}`);
}

test('a key owned by another process is answered through it; a range gathers every owner\'s partitions', { timeout: 120_000 }, async () => {
  const remoteUser = userOn(0);
  const localUser = userOn(3);
  await eventually(async () => {
    const r = (await (await fetch(new URL(`/api/state/clicks-per-user?key=${remoteUser}`, asker.url))).json()) as { entries: Array<{ value: number }> };
    return r.entries[0]?.value === f.expectedPerUser.get(remoteUser) ? true : undefined;
  }, 'the remote key counted');
  const local = (await (await fetch(new URL(`/api/state/clicks-per-user?key=${localUser}`, asker.url))).json()) as { entries: Array<{ value: number; partition: number }> };
  assert.deepEqual(local.entries.map((e) => [e.value, e.partition]), [[f.expectedPerUser.get(localUser), 3]]);
  const all = (await (await fetch(new URL('/api/state/clicks-per-user', asker.url))).json()) as { entries: Array<{ key: string; value: number; partition: number }>; partitions: number[] };
  assert.deepEqual(all.partitions, [0, 1, 2, 3]);
  assert.deepEqual(new Map(all.entries.map((e) => [e.key, e.value])), f.expectedPerUser);
  for (const e of all.entries) assert.equal(e.partition, partitionForKey(Buffer.from(e.key), PARTITIONS));

  // With the owner gone, its keys cannot be answered (and say why); this process's keys still can.
  await owner.close();
  const gone = await fetch(new URL(`/api/state/clicks-per-user?key=${remoteUser}`, asker.url));
  assert.equal(gone.status, 502);
  assert.equal(((await gone.json()) as { error: string }).error, 'OWNER_UNREACHABLE');
  const still = await fetch(new URL(`/api/state/clicks-per-user?key=${localUser}`, asker.url));
  assert.equal(still.status, 200);
});
