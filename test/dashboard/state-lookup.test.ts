// Interactive queries by key are point lookups: the key is encoded with the store's key serde,
// its partition found with the partitioner, and only that task's store is read — a `get`, or for
// windowed stores a range over that one key's windows. Checked on in-memory stores wrapped to count
// reads (no scan, no other key's entries touched) and on LMDB stores, against a full scan's answer.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embedded } from '../../src/connectors/embedded/index.js';
import { StreamsApp } from '../../src/engine/app.js';
import { json, string } from '../../src/engine/serdes.js';
import { hopping, tumbling } from '../../src/engine/windows.js';
import { queryState, startDashboard, type Dashboard, type StateQueryResult } from '../../src/dashboard/index.js';
import { LogManager } from '../../src/log/log-manager.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { partitionForKey } from '../../src/records/partitioner.js';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';
import type { KeyValueEntry, KeyValueStore } from '../../src/state/kv-store.js';
import type { ChangelogRecord } from '../../src/state/changelog.js';
import { eventually } from './fixture.js';

const PARTITIONS = 4;
const USERS = 12;
const PAGES = ['/', '/cart', '/checkout', '/help'];
const T0 = 1_700_000_000_000;

interface Reads {
  gets: number;
  scans: number;
  ranges: number;
  /** Entries handed out by all() and range(). */
  entries: number;
}

/** An in-memory store that counts how it is read. */
class CountingStore implements KeyValueStore {
  private readonly inner: InMemoryKeyValueStore;
  constructor(
    readonly name: string,
    private readonly reads: Reads,
  ) {
    this.inner = new InMemoryKeyValueStore(name);
  }
  get size(): number {
    return this.inner.size;
  }
  get(key: Buffer): Buffer | undefined {
    this.reads.gets++;
    return this.inner.get(key);
  }
  put(key: Buffer, value: Buffer): void {
    this.inner.put(key, value);
  }
  delete(key: Buffer): boolean {
    return this.inner.delete(key);
  }
  *range(from: Buffer | undefined, to: Buffer | undefined): IterableIterator<KeyValueEntry> {
    this.reads.ranges++;
    for (const e of this.inner.range(from, to)) {
      this.reads.entries++;
      yield e;
    }
  }
  *all(): IterableIterator<KeyValueEntry> {
    this.reads.scans++;
    for (const e of this.inner.all()) {
      this.reads.entries++;
      yield e;
    }
  }
  restore(records: Iterable<ChangelogRecord>): void {
    this.inner.restore(records);
  }
  flush(): void {}
  close(): void {
    this.inner.close();
  }
}

interface Setup {
  readonly dir: string;
  readonly log: LogManager;
  readonly app: StreamsApp;
  readonly reads: Reads;
  perUser: Map<string, number>;
  /** page -> window start -> count (tumbling 10 s). */
  perPageWindow: Map<string, Map<number, number>>;
  /** n -> count: numeric keys without a serde (the auto format, V8 on the repartition topic). */
  perNumber: Map<number, number>;
}

async function setUp(stateStore: 'counting' | 'lmdb'): Promise<Setup> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-lookup-'));
  const log = await LogManager.open({ dataDir: join(dir, 'log') });
  await log.createTopic('clicks', { partitions: PARTITIONS });
  await log.createTopic('users', { partitions: PARTITIONS });
  await log.createTopic('users-raw', { partitions: PARTITIONS });
  const reads: Reads = { gets: 0, scans: 0, ranges: 0, entries: 0 };
  const app = new StreamsApp({ applicationId: `lookup-${stateStore}`, log: embedded({ manager: log }) });
  const clicks = app.stream('clicks', { key: string(), value: json<{ user: string; page: string; n: number }>(), timestamp: (c, _k, r) => r.timestamp });
  clicks.groupByKey().count({ name: 'per-user' });
  const byPage = clicks.keyBy((c) => c.page, { key: string(), name: 'by-page' });
  byPage.window(tumbling('10s')).count({ name: 'page-windows' });
  byPage.window(hopping('20s', '10s')).count({ name: 'page-hops' });
  clicks.keyBy((c) => c.n, { name: 'by-number' }).count({ name: 'per-number' });
  app.table('users', { key: string(), value: json<{ name: string }>(), name: 'users-table' });
  app.table('users-raw', { name: 'raw-table' }); // bytes() keys and values
  await app.start({
    stateDir: join(dir, 'state'),
    commitIntervalMs: 20,
    stateStore: stateStore === 'lmdb' ? 'lmdb' : () => (name) => new CountingStore(name, reads),
  });
  const s: Setup = { dir, log, app, reads, perUser: new Map(), perPageWindow: new Map(), perNumber: new Map() };
  // 240 clicks over 60 s of event time, and a table of the users' names.
  const per: Array<Array<{ key: Buffer; value: Buffer; timestamp: number }>> = Array.from({ length: PARTITIONS }, () => []);
  for (let i = 0; i < 240; i++) {
    const user = `user-${i % USERS}`;
    const page = PAGES[(i * 7) % PAGES.length]!;
    const n = i % 5;
    const ts = T0 + i * 250;
    per[partitionForKey(Buffer.from(user), PARTITIONS)]!.push({ key: Buffer.from(user), value: Buffer.from(JSON.stringify({ user, page, n })), timestamp: ts });
    s.perUser.set(user, (s.perUser.get(user) ?? 0) + 1);
    const w = ts - (ts % 10_000);
    const m = s.perPageWindow.get(page) ?? new Map<number, number>();
    m.set(w, (m.get(w) ?? 0) + 1);
    s.perPageWindow.set(page, m);
    s.perNumber.set(n, (s.perNumber.get(n) ?? 0) + 1);
  }
  for (let p = 0; p < PARTITIONS; p++) await log.partition('clicks', p).append(encodeRecordBatch({ records: per[p]! }));
  const users: Array<Array<{ key: Buffer; value: Buffer; timestamp: number }>> = Array.from({ length: PARTITIONS }, () => []);
  for (let u = 0; u < USERS; u++) users[partitionForKey(Buffer.from(`user-${u}`), PARTITIONS)]!.push({ key: Buffer.from(`user-${u}`), value: Buffer.from(JSON.stringify({ name: `Name ${u}` })), timestamp: T0 });
  for (let p = 0; p < PARTITIONS; p++) if (users[p]!.length) await log.partition('users', p).append(encodeRecordBatch({ records: users[p]! }));
  for (let p = 0; p < PARTITIONS; p++) if (users[p]!.length) await log.partition('users-raw', p).append(encodeRecordBatch({ records: users[p]! }));
  // Settled: every count and the table are in the stores (a full scan sees them all).
  await eventually(async () => {
    const all = await queryState(app, 'per-user', {});
    const n = await queryState(app, 'per-number', {});
    const t = await queryState(app, 'users-table', {});
    const raw = await queryState(app, 'raw-table', {});
    const total = all.entries.reduce((a, e) => a + (e.value as number), 0);
    const totalN = n.entries.reduce((a, e) => a + (e.value as number), 0);
    return total === 240 && totalN === 240 && t.entries.length === USERS && raw.entries.length === USERS ? true : undefined;
  }, 'all clicks counted');
  return s;
}

const stateJsonOf = (v: unknown): string => JSON.stringify(v);

async function tearDown(s: Setup | undefined): Promise<void> {
  if (!s) return;
  await s.app.close().catch(() => undefined);
  await s.log.close();
  await rm(s.dir, { recursive: true, force: true });
}

/** Runs a query and returns its result and the store reads it made before its first await (all of them: local reads are synchronous). */
async function counted(s: Setup, store: string, query: Parameters<typeof queryState>[2]): Promise<{ result: StateQueryResult; reads: Reads }> {
  Object.assign(s.reads, { gets: 0, scans: 0, ranges: 0, entries: 0 });
  const pending = queryState(s.app, store, query);
  const reads = { ...s.reads };
  return { result: await pending, reads };
}

describe('key lookups without scanning (in-memory stores, counted)', () => {
  let s: Setup;
  before(async () => {
    s = await setUp('counting');
  });
  after(() => tearDown(s));

  test('a key of a key/value store: one get on the partition its bytes hash to, nothing iterated', async () => {
    for (const [user, count] of s.perUser) {
      const { result, reads } = await counted(s, 'per-user', { key: user });
      const p = partitionForKey(Buffer.from(user), PARTITIONS);
      assert.deepEqual(result.partitions, [p]);
      assert.deepEqual(result.entries, [{ key: user, value: count, partition: p }]);
      assert.deepEqual(reads, { gets: 1, scans: 0, ranges: 0, entries: 0 }, user);
    }
    const absent = await counted(s, 'per-user', { key: 'nobody' });
    assert.deepEqual(absent.result.entries, []);
    assert.deepEqual(absent.reads, { gets: 1, scans: 0, ranges: 0, entries: 0 });
  });

  test('a windowed key: every window of that key by one range over its prefix, no other key read', async () => {
    let windowsSeen = 0;
    for (const [page, windows] of s.perPageWindow) {
      const { result, reads } = await counted(s, 'page-windows', { key: page });
      // The windows still in the store (closed ones may have been emitted and dropped), with the counts computed here.
      for (const e of result.entries) assert.equal(e.value, windows.get(e.window!.start), `${page} @ ${e.window!.start}`);
      windowsSeen += result.entries.length;
      assert.equal(reads.scans, 0);
      assert.equal(reads.ranges, 1);
      assert.equal(reads.entries, result.entries.length, 'only the windows of this key were read');
      // The same as the scan's answer for this key.
      const scan = await queryState(s.app, 'page-windows', { from: page, to: page });
      assert.deepEqual(result.entries, scan.entries);
    }
    assert.ok(windowsSeen >= PAGES.length, `windows found: ${windowsSeen}`);
    // Hopping windows (panes merged into windows): the lookup equals what a scan decodes for the key.
    for (const page of PAGES) {
      const { result, reads } = await counted(s, 'page-hops', { key: page });
      const scan = await queryState(s.app, 'page-hops', { from: page, to: page });
      assert.ok(result.entries.length > 0);
      assert.deepEqual(result.entries, scan.entries);
      assert.equal(reads.scans, 0);
      assert.equal(reads.ranges, 1);
    }
  });

  test('a numeric key without a serde: the text and its JSON reading are both looked up, by gets', async () => {
    for (const [n, count] of s.perNumber) {
      const { result, reads } = await counted(s, 'per-number', { key: String(n) });
      assert.deepEqual(result.entries.map((e) => [e.key, e.value]), [[n, count]]);
      assert.equal(reads.scans + reads.ranges, 0);
      assert.ok(reads.gets >= 2 && reads.gets <= 3, `gets: ${reads.gets}`);
    }
  });

  test('a table read from its topic: a get with the topic\'s key serde', async () => {
    const { result, reads } = await counted(s, 'users-table', { key: 'user-3' });
    assert.deepEqual(result.entries.map((e) => [e.key, e.value, e.partition]), [['user-3', { name: 'Name 3' }, partitionForKey(Buffer.from('user-3'), PARTITIONS)]]);
    assert.deepEqual(reads, { gets: 1, scans: 0, ranges: 0, entries: 0 });
  });

  test('a table of bytes() keys: the key\'s UTF-8 text names it, one get', async () => {
    const { result, reads } = await counted(s, 'raw-table', { key: 'user-7' });
    assert.equal(result.entries.length, 1);
    const e = result.entries[0]!;
    assert.ok(Buffer.isBuffer(e.key) && e.key.toString() === 'user-7');
    assert.deepEqual(JSON.parse((e.value as Buffer).toString()), { name: 'Name 7' });
    assert.equal(e.partition, partitionForKey(Buffer.from('user-7'), PARTITIONS));
    assert.deepEqual(reads, { gets: 1, scans: 0, ranges: 0, entries: 0 });
  });

  test('the counter sees a scan when there is one: a range query iterates every partition', async () => {
    const { result, reads } = await counted(s, 'per-user', { from: 'user-0', to: 'user-9' });
    assert.ok(result.entries.length > 0);
    assert.equal(reads.scans, PARTITIONS);
    assert.ok(reads.entries >= s.perUser.size);
  });

  test('over HTTP: /api/state/<store>?key= answers the same', async () => {
    const d: Dashboard = await startDashboard({ app: s.app, port: 0 });
    try {
      const r = (await (await fetch(new URL('/api/state/page-windows?key=%2Fcart', d.url))).json()) as StateQueryResult;
      assert.ok(r.entries.length > 0);
      assert.equal(stateJsonOf(r.entries), stateJsonOf((await queryState(s.app, 'page-windows', { key: '/cart' })).entries));
      const n = (await (await fetch(new URL('/api/state/per-number?key=4', d.url))).json()) as StateQueryResult;
      assert.deepEqual(n.entries.map((e) => [e.key, e.value]), [[4, s.perNumber.get(4)]]);
    } finally {
      await d.close();
    }
  });
});

describe('key lookups on LMDB stores', () => {
  let s: Setup;
  before(async () => {
    s = await setUp('lmdb');
  });
  after(() => tearDown(s));

  test('key/value, windowed, numeric and table keys answer as a scan does', async () => {
    for (const [user, count] of s.perUser) {
      const r = await queryState(s.app, 'per-user', { key: user });
      assert.deepEqual(r.entries.map((e) => [e.key, e.value]), [[user, count]]);
    }
    for (const [page, windows] of s.perPageWindow) {
      const r = await queryState(s.app, 'page-windows', { key: page });
      for (const e of r.entries) assert.equal(e.value, windows.get(e.window!.start));
      for (const store of ['page-windows', 'page-hops']) {
        assert.deepEqual((await queryState(s.app, store, { key: page })).entries, (await queryState(s.app, store, { from: page, to: page })).entries);
      }
    }
    for (const [n, count] of s.perNumber) assert.deepEqual((await queryState(s.app, 'per-number', { key: String(n) })).entries.map((e) => [e.key, e.value]), [[n, count]]);
    assert.deepEqual((await queryState(s.app, 'users-table', { key: 'user-5' })).entries.map((e) => e.value), [{ name: 'Name 5' }]);
    assert.deepEqual((await queryState(s.app, 'per-user', { key: 'nobody' })).entries, []);
  });
});
