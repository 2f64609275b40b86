import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Processor,
  StreamsApp,
  TopologyTestDriver,
  json,
  string,
  type ProcessorContext,
  type ProcessorRecord,
  type TimerFiring,
  type ValueState,
  type ListState,
  type ProcessorLike,
} from '../../src/index.js';
import { stamps } from './reference.js';

interface Ev {
  id: string;
  ts: number;
}

const OOO = 1_000;

function source(app: StreamsApp) {
  return app.stream('ev', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts, maxOutOfOrderness: OOO });
}

/** Drops a key's repeats while its "seen" state lives (event-time TTL). */
class Dedupe extends Processor<string, Ev, string, Ev> {
  private seen!: ValueState<boolean>;
  override init(ctx: ProcessorContext<string, string, Ev>): void {
    super.init(ctx);
    this.seen = ctx.state.value<boolean>('seen', { ttl: '10s' });
  }
  process(r: ProcessorRecord<string, Ev>): void {
    if (this.seen.get()) return;
    this.seen.set(true);
    this.ctx.forward(r.key, r.value);
  }
}

// Each record sees the watermark max(earlier timestamps) - 1s; 'seen' expires at written + 10s.
const dupes: Array<[string, number]> = [
  ['a', 1_000], // pass
  ['a', 5_000], // watermark 0: seen
  ['b', 6_000], // pass
  ['a', 12_000], // watermark 5s: seen
  ['a', 12_500], // watermark 11s = 1s + 10s: expired, pass
  ['b', 17_000], // watermark 11.5s: seen
  ['b', 16_900], // watermark 16s = 6s + 10s: expired, pass
  ['a', 22_000], // watermark 16s: seen (written at 12.5s)
  ['a', 23_600], // watermark 21s: seen
  ['a', 30_000], // watermark 22.6s >= 22.5s: expired, pass
];

test('process(): keyed value state with an event-time TTL (a reference simulation of the watermark)', () => {
  const app = new StreamsApp({ applicationId: 'dedupe' });
  source(app).process(() => new Dedupe(), { name: 'dedupe' }).to('unique', { value: json() });
  const driver = new TopologyTestDriver(app);
  driver.input('ev', { key: string(), value: json<Ev>() }).pipeAll(dupes.map(([id, ts]) => ({ key: id, value: { id, ts } })));
  // Reference: a record passes if its key was not written within 10s before the watermark it sees.
  const st = stamps(dupes.map(([key, ts]) => ({ key, ts, n: 0 })), OOO);
  const written = new Map<string, number>();
  const expected: number[] = [];
  dupes.forEach(([id, ts], i) => {
    const w = written.get(id);
    if (w !== undefined && w + 10_000 > st[i]!) return;
    written.set(id, ts);
    expected.push(ts);
  });
  assert.deepEqual(driver.output('unique', { value: json<Ev>() }).readValues().map((e) => e!.ts), expected);
  assert.equal(expected.length, 5);
  // Expired entries are purged by the watermark too, not only on reads.
  driver.drain();
  assert.equal(driver.stateStores('dedupe-state')[0]!.size, 0);
});

/** Per key: counts records from the first one until an event-time timer 10s later fires. */
class Burst implements ProcessorLike<string, Ev, string, string> {
  private count!: ValueState<number>;
  private ids!: ListState<string>;
  init(ctx: ProcessorContext<string, string, string>): void {
    this.count = ctx.state.value<number>('count');
    this.ids = ctx.state.list<string>('ids');
  }
  process(r: ProcessorRecord<string, Ev>, ctx: ProcessorContext<string, string, string>): void {
    const n = this.count.get();
    if (n === undefined) ctx.timers.registerEventTime(r.timestamp + 10_000);
    this.count.set((n ?? 0) + 1);
    this.ids.add(`${r.value.ts}`);
  }
  onTimer(t: TimerFiring, ctx: ProcessorContext<string, string, string>): void {
    ctx.forward(ctx.key, `${t.domain}@${t.time}:${this.count.get()}:${this.ids.get().join(',')}`);
    this.count.clear();
    this.ids.clear();
  }
}

test('process(): event-time timers fire when the watermark reaches them, per key, with that key’s state', () => {
  const evs: Array<[string, number]> = [
    ['a', 1_000],
    ['b', 2_000],
    ['a', 4_000],
    ['a', 11_500], // watermark 10.5s: nothing due yet (a's timer at 11s)
    ['b', 12_500], // watermark 11.5s: a@11s fires, with 1s, 4s and 11.5s
    ['a', 13_000], // a new burst for a: timer at 23s
    ['b', 9_000], // b's timer (12s) not fired yet: counted
    ['b', 13_100], // watermark 12.1s: b@12s fires
  ];
  const app = new StreamsApp({ applicationId: 'burst' });
  source(app).process(() => new Burst(), { name: 'burst' }).to('bursts', { value: string() });
  const driver = new TopologyTestDriver(app);
  const input = driver.input('ev', { key: string(), value: json<Ev>() });
  const read = () => driver.output('bursts', { key: string(), value: string() }).readKeyValues();
  // Reference simulation: timers fire, in time order, after the record that moves the watermark past them.
  const state = new Map<string, { at: number; ids: number[] }>();
  const expected: Array<[string, string]> = [];
  let max = -Infinity;
  const fire = (w: number) => {
    for (const [k, s] of [...state].sort((x, y) => x[1].at - y[1].at || (x[0] < y[0] ? -1 : 1))) {
      if (s.at > w) continue;
      expected.push([k, `event@${s.at}:${s.ids.length}:${s.ids.join(',')}`]);
      state.delete(k);
    }
  };
  const got: Array<[string | null, string | null]> = [];
  for (const [id, ts] of evs) {
    input.pipe({ key: id, value: { id, ts } });
    got.push(...read());
    const s = state.get(id) ?? { at: ts + 10_000, ids: [] };
    s.ids.push(ts);
    state.set(id, s);
    max = Math.max(max, ts);
    fire(max - OOO);
  }
  driver.drain();
  got.push(...read());
  fire(Infinity);
  assert.deepEqual(got, expected);
  assert.equal(expected.length, 4);
});

test('process(): processing-time timers and processing-time TTL follow the driver’s wall clock only', () => {
  class Reminder extends Processor<string, Ev, string, string> {
    private last!: ValueState<string>;
    override init(ctx: ProcessorContext<string, string, string>): void {
      super.init(ctx);
      this.last = ctx.state.value<string>('last', { ttl: '10s', ttlTime: 'processing' });
    }
    process(r: ProcessorRecord<string, Ev>): void {
      const prev = this.last.get();
      this.last.set(`${r.value.ts}`);
      this.ctx.timers.registerProcessingTime(this.ctx.wallClock + 5_000);
      this.ctx.forward(r.key, `prev=${prev ?? 'none'}`);
    }
    override onTimer(t: TimerFiring): void {
      this.ctx.forward(this.ctx.key, `${t.domain}@${t.time}:${this.last.get() ?? 'expired'}`);
    }
  }
  const app = new StreamsApp({ applicationId: 'remind' });
  source(app).process(() => new Reminder(), { name: 'remind' }).to('out', { value: string() });
  const driver = new TopologyTestDriver(app, { wallClock: 100_000 });
  const input = driver.input('ev', { key: string(), value: json<Ev>() });
  const read = () => driver.output('out', { key: string(), value: string() }).readValues();
  input.pipe({ key: 'a', value: { id: 'a', ts: 1 } });
  assert.deepEqual(read(), ['prev=none']);
  driver.advanceWallClock('4999ms');
  assert.deepEqual(read(), []);
  driver.advanceWallClock(1);
  assert.deepEqual(read(), ['processing@105000:1']);
  input.pipe({ key: 'a', value: { id: 'a', ts: 2 } });
  assert.deepEqual(read(), ['prev=1']);
  driver.advanceWallClock('5s'); // 110s: the timer sees 'last', written at 105s
  assert.deepEqual(read(), ['processing@110000:2']);
  driver.advanceWallClock('5s'); // 115s: 'last' expired (105s + 10s)
  input.pipe({ key: 'a', value: { id: 'a', ts: 3 } });
  assert.deepEqual(read(), ['prev=none']);
  // Event time did not move the processing-time timers.
  input.pipe({ key: 'b', value: { id: 'b', ts: 10_000_000 } });
  assert.deepEqual(read(), ['prev=none']);
});

test('process(): map state; a throwing processor dead-letters its record; state is stored per key', () => {
  const app = new StreamsApp({ applicationId: 'maps' });
  source(app)
    .process<string, string>(
      () => ({
        process(r, ctx) {
          const pages = ctx.state.map<string, number>('pages');
          if (r.value.id === 'boom') throw new Error('boom');
          pages.set(r.value.id, (pages.get(r.value.id) ?? 0) + 1);
          ctx.forward(ctx.key, JSON.stringify(pages.entries()));
        },
      }),
      { name: 'pages' },
    )
    .to('out', { value: string() });
  const driver = new TopologyTestDriver(app);
  const input = driver.input('ev', { key: string(), value: json<Ev>() });
  input.pipe({ key: 'k1', value: { id: 'x', ts: 1 } });
  input.pipe({ key: 'k1', value: { id: 'y', ts: 2 } });
  input.pipe({ key: 'k2', value: { id: 'x', ts: 3 } });
  input.pipe({ key: 'k1', value: { id: 'boom', ts: 4 } });
  input.pipe({ key: 'k1', value: { id: 'x', ts: 5 } });
  assert.deepEqual(driver.output('out', { value: string() }).readValues(), [
    '[["x",1]]',
    '[["x",1],["y",1]]',
    '[["x",1]]',
    '[["x",2],["y",1]]',
  ]);
  assert.equal(driver.deadLetters().length, 1);
});
