// User code that changes cached state in place and then throws (poison.ts): keyed aggregations,
// session and time windows and process() value states hold each key's state decoded between
// commits, so such a record would leave a half-applied change behind. The task rolls back to its
// last commit and replays without the record: the committed results (outputs, tables) are those of
// a run that never saw it, and the record is in the dead-letter topic exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Processor,
  StreamsApp,
  TopologyTestDriver,
  bytes,
  json,
  session,
  string,
  tumbling,
  type ProcessorContext,
  type ProcessorRecord,
  type ValueState,
} from '../../src/index.js';
import { InMemoryKeyValueStore } from '../../src/state/memory-store.js';
import type { KeyValueStoreFactory } from '../../src/state/kv-store.js';

interface Ev {
  key: string;
  ts: number;
  n: number;
  /** User code throws on it, after changing the state. */
  bad?: boolean;
}

interface Acc {
  count: number;
  sum: number;
}

const OOO = 1_000;

/** Changes the accumulator in place, then throws on a bad record: the half-applied record. */
function addInPlace(acc: Acc, e: Ev): Acc {
  acc.count++;
  acc.sum += e.n;
  if (e.bad) throw new Error(`bad record ${e.n}`);
  return acc;
}

type Build = (a: StreamsApp) => void;

function app(build: Build): StreamsApp {
  const a = new StreamsApp({ applicationId: 'poison', maxOutOfOrderness: OOO });
  build(a);
  return a;
}

const source = (a: StreamsApp) => a.stream('in', { key: string(), value: json<Ev>(), timestamp: (e) => e.ts });

const keyed: Build = (a) => {
  source(a).groupByKey().aggregate(() => ({ count: 0, sum: 0 }), addInPlace).toStream().to('out', { value: json<Acc>() });
};
/** Through a repartition topic: the failing operator reads records of the app's own topic. */
const keyedAfterKeyBy: Build = (a) => {
  source(a)
    .keyBy((e) => e.key.slice(0, 1), { key: string() })
    .aggregate(() => ({ count: 0, sum: 0 }), addInPlace)
    .toStream()
    .to('out', { value: json<Acc>() });
};
const sessions: Build = (a) => {
  source(a)
    .groupByKey()
    .window(session(3_000), { grace: 500, emit: 'update' })
    .aggregate(() => ({ count: 0, sum: 0 }), addInPlace, (x, y) => ({ count: x.count + y.count, sum: x.sum + y.sum }))
    .to('out', { value: json<Acc>() });
};
const windows: Build = (a) => {
  source(a).groupByKey().window(tumbling(5_000), { grace: 500 }).aggregate(() => ({ count: 0, sum: 0 }), addInPlace).toStream().to('out', { value: json<Acc>() });
};

/** A running total in a value state, changed in place through get() and forwarded before the throw. */
class Totals extends Processor<string, Ev, string, Acc> {
  private total!: ValueState<Acc>;
  override init(ctx: ProcessorContext<string, string, Acc>): void {
    super.init(ctx);
    this.total = ctx.state.value<Acc>('total');
  }
  process(r: ProcessorRecord<string, Ev>): void {
    const t = this.total.get() ?? { count: 0, sum: 0 };
    t.count++;
    t.sum += r.value.n;
    this.ctx.forward(r.key, { ...t });
    if (r.value.bad) throw new Error(`bad record ${r.value.n}`);
    this.total.set(t);
  }
}
const processed: Build = (a) => {
  source(a)
    .process(() => new Totals(), { name: 'totals' })
    .to('out', { value: json<Acc>() });
};

/** Keys a..c, in time order; the bad ones follow a good record of their key in the same batch (its state already changed since the commit). */
function events(): Ev[] {
  const out: Ev[] = [];
  for (let i = 0; i < 60; i++) out.push({ key: 'abc'[i % 3]!, ts: i * 400, n: i, ...(i === 16 || i === 17 || i === 40 ? { bad: true } : {}) });
  return out;
}

/** Pipes in batches of 10 (each a commit), then ends the input. */
function run(build: Build, evs: readonly Ev[], stores?: () => KeyValueStoreFactory): { out: string[]; dlq: Array<{ value: Ev; error: string; offset: string }>; driver: TopologyTestDriver } {
  const driver = new TopologyTestDriver(app(build), { partitions: { in: 2 }, ...(stores ? { stateStore: stores } : {}) });
  const input = driver.input('in', { key: string(), value: json<Ev>() });
  for (let i = 0; i < evs.length; i += 10) input.pipeAll(evs.slice(i, i + 10).map((e) => ({ key: e.key, value: e, timestamp: e.ts })));
  driver.drain();
  const out = driver
    .output('out', { key: bytes(), value: json<Acc>() })
    .readRecords()
    .map((r) => `${r.key?.toString('hex')}@${r.timestamp}=${JSON.stringify(r.value)}`);
  const header = (h: readonly { key: string; value: Buffer | null }[], k: string) => h.find((x) => x.key === k)?.value?.toString() ?? '';
  const dlq = driver.deadLetters().map((r) => ({ value: JSON.parse(r.value!.toString()) as Ev, error: header(r.headers, 'tributary.error.message'), offset: header(r.headers, 'tributary.source.offset') }));
  return { out, dlq, driver };
}

const cases: Array<[string, Build]> = [
  ['keyed aggregate', keyed],
  ['keyed aggregate after a keyBy', keyedAfterKeyBy],
  ['session windows', sessions],
  ['tumbling windows', windows],
  ['process() value state', processed],
];

for (const [name, build] of cases) {
  for (const cache of ['unbounded', 'bounded'] as const) {
    test(`${name} (${cache} cache): a record on which user code changed the state and threw counts nowhere, and is dead-lettered once`, () => {
      const stores = cache === 'bounded' ? () => (n: string) => new InMemoryKeyValueStore(n, { cacheMaxBytes: 4096 }) : undefined;
      const evs = events();
      const bad = evs.filter((e) => e.bad);
      const reference = run(build, evs.filter((e) => !e.bad), stores);
      assert.deepEqual(reference.dlq, []);
      const got = run(build, evs, stores);
      assert.deepEqual(got.out, reference.out, 'outputs: those of the run without the bad records');
      assert.deepEqual(
        got.dlq.map((d) => d.value).sort((x, y) => x.n - y.n),
        bad,
        'each bad record in the dead-letter topic once',
      );
      for (const d of got.dlq) assert.equal(d.error, `bad record ${d.value.n}`);
      if (build !== keyedAfterKeyBy) {
        // Its place in the input topic (after a keyBy it is the repartition topic's).
        const offsets = new Map(got.driver.output('in', { key: string(), value: json<Ev>() }).readAll().map((r) => [r.value!.n, String(r.offset)] as const));
        for (const d of got.dlq) assert.equal(d.offset, offsets.get(d.value.n));
      }
      assert.equal(got.driver.metrics().deadLettered, bad.length);
      got.driver.close();
      reference.driver.close();
    });
  }
}

test('an accumulator that cannot change in place (a number) is not rolled back: the record is dead-lettered, the count is that of the good records', () => {
  const build: Build = (a) => {
    source(a)
      .groupByKey()
      .aggregate(
        () => 0,
        (acc: number, e: Ev) => {
          if (e.bad) throw new Error('bad');
          return acc + e.n;
        },
      )
      .toStream()
      .to('out', { value: json<number>() });
  };
  const driver = new TopologyTestDriver(app(build));
  const input = driver.input('in', { key: string(), value: json<Ev>() });
  input.pipeAll([
    { key: 'a', value: { key: 'a', ts: 1, n: 1 } },
    { key: 'a', value: { key: 'a', ts: 2, n: 2, bad: true } },
    { key: 'a', value: { key: 'a', ts: 3, n: 4 } },
  ]);
  assert.deepEqual(driver.output('out', { key: string(), value: json<number>() }).readValues(), [1, 5]);
  assert.equal(driver.deadLetters().length, 1);
  driver.close();
});

test("under deadLetter: 'fail' the throw stops the run (nothing to roll back to the dead-letter topic)", () => {
  const a = new StreamsApp({ applicationId: 'poison-fail', maxOutOfOrderness: OOO, deadLetter: 'fail' });
  keyed(a);
  const driver = new TopologyTestDriver(a);
  const input = driver.input('in', { key: string(), value: json<Ev>() });
  input.pipe({ key: 'a', value: { key: 'a', ts: 1, n: 1 } });
  assert.throws(() => input.pipe({ key: 'a', value: { key: 'a', ts: 2, n: 2, bad: true } }), (e: Error) => e.constructor.name === 'ProcessingError');
  driver.close();
});

/** An event-time timer per record that adds 100 to the key's total in place and forwards it; throws for key 'b' unless `skipB`. */
class TimerTotals extends Processor<string, Ev, string, Acc> {
  private total!: ValueState<Acc>;
  constructor(private readonly skipB: boolean) {
    super();
  }
  override init(ctx: ProcessorContext<string, string, Acc>): void {
    super.init(ctx);
    this.total = ctx.state.value<Acc>('total');
  }
  process(r: ProcessorRecord<string, Ev>): void {
    const t = this.total.get() ?? { count: 0, sum: 0 };
    this.total.set({ count: t.count + 1, sum: t.sum + r.value.n });
    this.ctx.timers.registerEventTime(r.timestamp + 1_000);
  }
  override onTimer(): void {
    if (this.skipB && this.ctx.key === 'b') return;
    const t = this.total.get()!;
    t.sum += 100;
    this.ctx.forward(this.ctx.key, { ...t });
    if (this.ctx.key === 'b') throw new Error('bad timer');
    this.total.set(t);
  }
}

test('process(): an onTimer that changes the state in place and throws has no effect; the timer is dead-lettered once', () => {
  const runTimers = (skipB: boolean) => {
    const driver = new TopologyTestDriver(app((a) => source(a).process(() => new TimerTotals(skipB), { name: 'timers' }).to('out', { value: json<Acc>() })));
    const input = driver.input('in', { key: string(), value: json<Ev>() });
    const evs = events().map((e) => ({ ...e, bad: false }));
    for (let i = 0; i < evs.length; i += 10) input.pipeAll(evs.slice(i, i + 10).map((e) => ({ key: e.key, value: e, timestamp: e.ts })));
    driver.drain();
    const out = driver.output('out', { key: string(), value: json<Acc>() }).readRecords().map((r) => `${r.key}@${r.timestamp}=${JSON.stringify(r.value)}`);
    const dlq = driver.deadLetters();
    driver.close();
    return { out, dlq };
  };
  const reference = runTimers(true);
  const got = runTimers(false);
  assert.ok(reference.out.length > 0);
  assert.deepEqual(got.out, reference.out);
  const bTimers = new Set(events().filter((e) => e.key === 'b').map((e) => e.ts + 1_000)).size;
  assert.equal(got.dlq.length, bTimers, "each of b's timers once");
  for (const d of got.dlq) assert.equal(d.headers.find((h) => h.key === 'tributary.error.message')?.value?.toString(), 'bad timer');
});
