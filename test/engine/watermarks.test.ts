import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamsApp, TopologyTestDriver, json, string, tumbling, windowed, type Windowed, type Duration } from '../../src/index.js';

interface Ev {
  k: string;
  ts: number;
}

function windowedCounts(options: { idleTimeout?: Duration; closeIdleWindowsAfter?: Duration; keyBy: boolean }) {
  const app = new StreamsApp({ applicationId: 'wm', ...options });
  const s = app.stream('ev', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts });
  const keyed = options.keyBy ? s.keyBy((e) => e.k, { key: string(), name: 'k' }) : s.groupByKey();
  keyed.window(tumbling('10s')).count().toStream().to('counts', { value: json() });
  return app;
}

const read = (d: TopologyTestDriver) =>
  d
    .output('counts', { key: windowed(string()), value: json<number>() })
    .readRecords()
    .map((r) => `${(r.key as Windowed<string>).key}@${(r.key as Windowed<string>).start}=${r.value}`);

test('a repartitioned partition is as far as its slowest writer; an idle writer stops holding it back after idleTimeout', () => {
  const driver = new TopologyTestDriver(windowedCounts({ keyBy: true, idleTimeout: '30s' }), { partitions: { ev: 2 } });
  const input = driver.input('ev', { key: string(), value: json<Ev>() });
  // Partition 0 moves to 25s; partition 1 only to 12s: windows close up to min = 12s.
  input.pipeAll([
    { key: 'x', value: { k: 'a', ts: 1_000 }, partition: 0 },
    { key: 'y', value: { k: 'a', ts: 2_000 }, partition: 1 },
    { key: 'x', value: { k: 'b', ts: 25_000 }, partition: 0 },
    { key: 'y', value: { k: 'b', ts: 12_000 }, partition: 1 },
  ]);
  assert.deepEqual(read(driver), ['a@0=2']);
  // Partition 1 falls silent while partition 0 goes on.
  driver.advanceWallClock('20s');
  input.pipe({ key: 'x', value: { k: 'c', ts: 41_000 }, partition: 0 });
  assert.deepEqual(read(driver), []);
  driver.advanceWallClock('10s'); // partition 1: 30s without data -> idle
  assert.deepEqual(read(driver).sort(), ['b@10000=1', 'b@20000=1']);
  // Partition 1 comes back: what it holds back now is late for windows that closed meanwhile...
  input.pipe({ key: 'y', value: { k: 'c', ts: 35_000 }, partition: 1 });
  assert.equal(driver.metrics().lateRecords, 1);
  // ...and it holds the watermark again: partition 0 racing ahead closes nothing past partition 1.
  input.pipe({ key: 'y', value: { k: 'c', ts: 45_000 }, partition: 1 });
  input.pipe({ key: 'x', value: { k: 'e', ts: 70_000 }, partition: 0 });
  assert.deepEqual(read(driver), []);
  input.pipe({ key: 'y', value: { k: 'd', ts: 52_000 }, partition: 1 });
  assert.deepEqual(read(driver), ['c@40000=2']);
  assert.equal(driver.metrics().lateRecords, 1);
});

test('a partition that never receives data holds the watermark until idle, then the furthest input counts', () => {
  const driver = new TopologyTestDriver(windowedCounts({ keyBy: true, idleTimeout: '5s' }), { partitions: { ev: 3 } });
  driver.input('ev', { key: string(), value: json<Ev>() }).pipeAll([
    { value: { k: 'a', ts: 1_000 }, partition: 2 },
    { value: { k: 'a', ts: 30_000 }, partition: 2 },
  ]);
  assert.deepEqual(read(driver), []);
  driver.advanceWallClock('5s');
  assert.deepEqual(read(driver), ['a@0=1']);
});

test('closeIdleWindowsAfter: with no input at all, the watermark follows the wall clock and windows close', () => {
  const driver = new TopologyTestDriver(windowedCounts({ keyBy: false, closeIdleWindowsAfter: '1m' }), { wallClock: 1_000_000 });
  driver.input('ev', { key: string(), value: json<Ev>() }).pipeAll([
    { key: 'a', value: { k: 'a', ts: 3_000 } },
    { key: 'a', value: { k: 'a', ts: 5_000 } },
  ]);
  driver.advanceWallClock('59s');
  assert.deepEqual(read(driver), []);
  assert.equal(driver.task(0, 0).watermark, 5_000);
  driver.advanceWallClock('1s');
  // Quiet for 60s: watermark = 5s + 60s.
  assert.equal(driver.task(0, 0).watermark, 65_000);
  assert.deepEqual(read(driver), ['a@0=1'.replace('1', '2')]);
  // A record for a window that closed this way is late, not silently dropped.
  driver.input('ev', { key: string(), value: json<Ev>() }).pipe({ key: 'a', value: { k: 'a', ts: 9_000 } });
  assert.equal(driver.metrics().lateRecords, 1);
  assert.equal(driver.deadLetters().length, 1);
});

test('the task watermark never moves backwards, whatever the input order', () => {
  const driver = new TopologyTestDriver(windowedCounts({ keyBy: true }), { partitions: { ev: 2 } });
  const input = driver.input('ev', { key: string(), value: json<Ev>() });
  const seen: number[][] = [[], [], [], []];
  const tss = [5_000, 1_000, 9_000, 2_000, 30_000, 4_000, 31_000, 29_000];
  tss.forEach((ts, i) => {
    input.pipe({ value: { k: 'a', ts }, partition: i % 2 });
    driver.allTasks.forEach((t, j) => seen[j]!.push(t.watermark));
  });
  for (const s of seen) for (let i = 1; i < s.length; i++) assert.ok(s[i]! >= s[i - 1]!, `watermark went back: ${s}`);
  assert.equal(driver.task(0, 0).watermark, 31_000);
  assert.equal(driver.task(0, 1).watermark, 29_000);
  // Downstream: the min over both upstream tasks.
  assert.equal(driver.task(1, 0).watermark, 29_000);
});

test('upstream tasks send watermark markers to every partition of a repartition topic', () => {
  const driver = new TopologyTestDriver(windowedCounts({ keyBy: true }), { partitions: { ev: 2, 'wm-k-repartition': 3 } });
  driver.input('ev', { key: string(), value: json<Ev>() }).pipeAll([
    { value: { k: 'a', ts: 7_000 }, partition: 0 },
    { value: { k: 'b', ts: 8_000 }, partition: 1 },
  ]);
  const log = driver.snapshot().topics.get('wm-k-repartition')!;
  assert.equal(log.length, 3);
  for (const p of log) {
    const markers = p.filter((r) => r.headers.some((h) => h.key === 'tributary.watermark'));
    const writers = new Set(markers.map((r) => r.headers.find((h) => h.key === 'tributary.writer')!.value!.toString()));
    assert.deepEqual([...writers].sort(), ['0/2', '1/2']);
  }
  assert.equal(driver.task(1, 0).watermark, 7_000);
});
