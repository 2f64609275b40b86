import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamsApp, TopologyTestDriver, CoPartitioningError, json, string } from '../../src/index.js';

interface User {
  name: string;
  tier: 'gold' | 'basic';
}
interface Click {
  user: string;
  page: string;
}

type Step = { t: 'user'; key: string; value: User | null } | { t: 'click'; key: string; value: Click };

// Interleaved table updates and stream records (a delete for u2 half-way).
const steps: Step[] = [
  { t: 'click', key: 'u1', value: { user: 'u1', page: '/a' } },
  { t: 'user', key: 'u1', value: { name: 'Ann', tier: 'gold' } },
  { t: 'user', key: 'u2', value: { name: 'Bob', tier: 'basic' } },
  { t: 'click', key: 'u1', value: { user: 'u1', page: '/b' } },
  { t: 'click', key: 'u2', value: { user: 'u2', page: '/a' } },
  { t: 'user', key: 'u1', value: { name: 'Ann', tier: 'basic' } },
  { t: 'click', key: 'u3', value: { user: 'u3', page: '/c' } },
  { t: 'user', key: 'u2', value: null },
  { t: 'click', key: 'u2', value: { user: 'u2', page: '/b' } },
  { t: 'click', key: 'u1', value: { user: 'u1', page: '/c' } },
  { t: 'user', key: 'u3', value: { name: 'Cy', tier: 'gold' } },
  { t: 'click', key: 'u3', value: { user: 'u3', page: '/d' } },
];

function run(app: StreamsApp, partitions: Record<string, number> = {}) {
  const driver = new TopologyTestDriver(app, { partitions });
  const users = driver.input('users', { key: string(), value: json<User>() });
  const clicks = driver.input('clicks', { key: string(), value: json<Click>() });
  steps.forEach((s, i) => {
    if (s.t === 'user') users.pipe({ key: s.key, value: s.value, timestamp: i });
    else clicks.pipe({ key: s.key, value: s.value, timestamp: i });
  });
  return driver;
}

/** The table's value for each click's key at the moment the click is processed. */
function lookups(): Array<{ click: Click; user: User | undefined }> {
  const table = new Map<string, User>();
  const out: Array<{ click: Click; user: User | undefined }> = [];
  for (const s of steps) {
    if (s.t === 'user') {
      if (s.value === null) table.delete(s.key);
      else table.set(s.key, s.value);
    } else out.push({ click: s.value, user: table.get(s.key) });
  }
  return out;
}

test('stream-table join (inner and left) sees the table as of each record; the table reads its topic', () => {
  const app = new StreamsApp({ applicationId: 'st' });
  const users = app.table('users', { key: string(), value: json<User>() });
  const clicks = app.stream('clicks', { key: string(), value: json<Click>() });
  const inner = clicks.join(users, (c, u) => `${c.page}:${u.name}:${u.tier}`).to('inner', { value: string() });
  const left = clicks.leftJoin(users, (c, u) => `${c.page}:${u ? u.name : '-'}`).to('left', { value: string() });
  const driver = run(app, { users: 3, clicks: 3 });
  const l = lookups();
  const sortKv = (xs: Array<[string | null, string | null]>) => xs.map((x) => x.join('|')).sort();
  assert.deepEqual(
    sortKv(driver.output(inner).readKeyValues()),
    sortKv(l.filter((x) => x.user).map((x) => [x.click.user, `${x.click.page}:${x.user!.name}:${x.user!.tier}`])),
  );
  assert.deepEqual(
    sortKv(driver.output(left).readKeyValues()),
    sortKv(l.map((x) => [x.click.user, `${x.click.page}:${x.user ? x.user.name : '-'}`])),
  );
  // Per key the order is the input order.
  assert.deepEqual(
    driver.output(left).readAll().filter((r) => r.key === 'u2').map((r) => r.value),
    l.filter((x) => x.click.user === 'u2').map((x) => `${x.click.page}:${x.user ? x.user.name : '-'}`),
  );
  assert.deepEqual(
    new Map(driver.tableEntries(users)),
    new Map([
      ['u1', { name: 'Ann', tier: 'basic' }],
      ['u3', { name: 'Cy', tier: 'gold' }],
    ]),
  );
  // Source-topic optimization: the table's store has no changelog topic of its own.
  assert.ok(!app.topology().changelogTopics.includes('st-users-table-changelog'));
  assert.deepEqual(
    driver.task(0, 0).stores.find((x) => x.name === 'users-table'),
    { name: 'users-table', logged: false, changelogTopic: 'users' },
  );
});

test('join inputs with different partition counts are a CoPartitioningError when the topology starts', () => {
  const app = new StreamsApp({ applicationId: 'cp' });
  const users = app.table('users', { key: string(), value: json<User>() });
  app.stream('clicks', { key: string(), value: json<Click>() }).join(users, (c, u) => ({ ...c, ...u }));
  assert.throws(
    () => new TopologyTestDriver(app, { partitions: { users: 2, clicks: 3 } }),
    (e: unknown) => e instanceof CoPartitioningError && e.topics['users'] === 2 && e.topics['clicks'] === 3 && /same number of partitions/.test(e.message),
  );
});

test('a re-keyed stream is repartitioned to the table’s partition count before the join', () => {
  const app = new StreamsApp({ applicationId: 'rk' });
  const users = app.table('users', { key: string(), value: json<User>() });
  const out = app
    .stream('clicks', { key: string(), value: json<Click>() })
    .selectKey((c) => c.user)
    .leftJoin(users, (c, u) => `${c.page}:${u ? u.name : '-'}`)
    .to('out', { value: string() });
  assert.equal(app.topology().repartitionTopics.length, 1);
  const driver = new TopologyTestDriver(app, { partitions: { users: 4, clicks: 1 } });
  assert.equal(driver.partitionsFor(app.topology().repartitionTopics[0]!), 4);
  const u = driver.input('users', { key: string(), value: json<User>() });
  const c = driver.input('clicks', { key: string(), value: json<Click>() });
  u.pipe({ key: 'u1', value: { name: 'Ann', tier: 'gold' } });
  u.pipe({ key: 'u2', value: { name: 'Bob', tier: 'gold' } });
  c.pipe({ key: 'x', value: { user: 'u1', page: '/a' } });
  c.pipe({ key: 'y', value: { user: 'u2', page: '/b' } });
  c.pipe({ key: 'z', value: { user: 'u9', page: '/c' } });
  assert.deepEqual(driver.output(out).readValues().sort(), ['/a:Ann', '/b:Bob', '/c:-']);
});

test('aggregations make tables; filter, mapValues, toStream; table-table joins (inner, left, outer)', () => {
  const app = new StreamsApp({ applicationId: 'tt' });
  const users = app.table('users', { key: string(), value: json<User>() });
  const counts = app.stream('clicks', { key: string(), value: json<Click>() }).groupByKey().count();
  const gold = users.filter((u) => u.tier === 'gold').mapValues((u) => u.name);
  const inner = counts.join(gold, (n, name) => `${name}=${n}`).to('inner', { value: string() });
  const left = counts.leftJoin(gold, (n, name) => `${name ?? '?'}=${n}`).to('left', { value: string() });
  const outer = counts.outerJoin(users, (n, u) => `${u?.name ?? '?'}=${n ?? 0}`).to('outer', { value: string() });
  const driver = run(app, { users: 2, clicks: 2 });

  // Reference: the final state of both tables, then the join per key.
  const userState = new Map<string, User>();
  const countState = new Map<string, number>();
  for (const s of steps) {
    if (s.t === 'user') s.value === null ? userState.delete(s.key) : userState.set(s.key, s.value);
    else countState.set(s.key, (countState.get(s.key) ?? 0) + 1);
  }
  const goldState = new Map([...userState].filter(([, u]) => u.tier === 'gold').map(([k, u]) => [k, u.name]));
  const latest = (t: string) => {
    const m = new Map<string, string | null>();
    for (const r of driver.output(t, { key: string(), value: string() }).readAll()) m.set(r.key!, r.value);
    return new Map([...m].filter(([, v]) => v !== null));
  };
  const keys = new Set([...userState.keys(), ...countState.keys()]);
  const expect = (f: (k: string) => string | undefined) =>
    new Map([...keys].flatMap((k) => (f(k) === undefined ? [] : [[k, f(k)!] as const])));
  assert.deepEqual(latest(inner.topic), expect((k) => (countState.has(k) && goldState.has(k) ? `${goldState.get(k)}=${countState.get(k)}` : undefined)));
  assert.deepEqual(latest(left.topic), expect((k) => (countState.has(k) ? `${goldState.get(k) ?? '?'}=${countState.get(k)}` : undefined)));
  assert.deepEqual(
    latest(outer.topic),
    expect((k) => (countState.has(k) || userState.has(k) ? `${userState.get(k)?.name ?? '?'}=${countState.get(k) ?? 0}` : undefined)),
  );
  // u2 was deleted from users: the outer join's last word for u2 still has the count; the inner
  // join emitted a delete for u1 when Ann stopped being gold.
  assert.ok(driver.output(inner.topic).readAll().some((r) => r.key !== null && r.value === null));
  assert.deepEqual(new Map(driver.tableEntries(counts)), countState);
});

test('stream.toTable(): latest value per key', () => {
  const app = new StreamsApp({ applicationId: 'tt2' });
  const t = app.stream('clicks', { key: string(), value: json<Click>() }).toTable();
  t.toStream().mapValues((c) => c.page).to('pages', { value: string() });
  const driver = run(app);
  const last = new Map<string, Click>();
  for (const s of steps) if (s.t === 'click') last.set(s.key, s.value);
  assert.deepEqual(new Map(driver.tableEntries(t)), last);
  assert.equal(driver.output('pages').readAll().length, steps.filter((s) => s.t === 'click').length);
});
