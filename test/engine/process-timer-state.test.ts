// Suspected bug (Nexmark q12 work): MapState.get() returned undefined inside a timer callback
// after another topology had run in the same process. Two apps one after the other in one
// process, a process() operator whose event-time and processing-time timers read its MapState,
// with in-memory and LMDB stores, under the TopologyTestDriver and in a real run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StreamsApp, TopologyTestDriver, embedded, float64, json, string, type MapState } from '../../src/index.js';
import type { KeyValueStoreFactory } from '../../src/state/kv-store.js';
import { openTaskState, type TaskState } from '../../src/state/local-checkpoint.js';
import { openLog, produce, readTopic } from './runtime/helpers.js';

interface Ev {
  page: string;
  ts: number;
}

const KEYS = ['a', 'b', 'c'];

/**
 * Per key: a map page -> count. The first record of a key sets an event-time timer at ts + 1 s and
 * a processing-time timer at wall clock + 1 ms; each timer writes what the map holds then.
 */
function build(applicationId: string, topic: string, out: string) {
  const app = new StreamsApp({ applicationId });
  app
    .stream(topic, { key: string(), value: json<Ev>(), timestamp: (e) => e.ts, maxOutOfOrderness: 0 })
    .process<string, string>(
      () => {
        let pages!: MapState<string, number>;
        return {
          init(ctx) {
            pages = ctx.state.map<string, number>('pages');
          },
          process(r, ctx) {
            const first = pages.entries().length === 0;
            pages.set(r.value.page, (pages.get(r.value.page) ?? 0) + 1);
            if (!first) return;
            ctx.timers.registerEventTime(r.timestamp + 1_000);
            ctx.timers.registerProcessingTime(ctx.wallClock + 1);
          },
          onTimer(t, ctx) {
            // Reads through get() and through entries(): both must see the key's map.
            ctx.forward(ctx.key, `${t.domain}:${pages.get('home')}:${JSON.stringify(pages.entries().sort())}`);
          },
        };
      },
      { name: 'pages' },
    )
    .to(out, { value: string() });
  return app;
}

/** Every key: 'home' at 1 s, 'cart' at 1.5 s; then a record at 10 s of key 'z' moves the watermark past every timer. */
function events(): Array<{ key: string; value: Ev }> {
  const out: Array<{ key: string; value: Ev }> = [];
  for (const k of KEYS) out.push({ key: k, value: { page: 'home', ts: 1_000 } });
  for (const k of KEYS) out.push({ key: k, value: { page: 'cart', ts: 1_500 } });
  out.push({ key: 'z', value: { page: 'home', ts: 10_000 } });
  return out;
}

/** What the timers must see: every key's map, for each domain; 'z' only has its processing-time timer fired. */
function expected(): string[] {
  const out: string[] = [];
  for (const k of KEYS) for (const d of ['event', 'processing']) out.push(`${k}=${d}:1:[["cart",1],["home",1]]`);
  out.push('z=processing:1:[["home",1]]');
  return out.sort();
}

for (const store of ['memory', 'lmdb'] as const) {
  test(`process(): timers read MapState after another topology ran in the process (TopologyTestDriver, ${store} stores)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-timer-state-'));
    const opened: TaskState[] = [];
    try {
      for (const id of ['first', 'second', 'first']) {
        let stateStore: ((taskId: string) => KeyValueStoreFactory) | undefined;
        if (store === 'lmdb') {
          const ts = await openTaskState(join(dir, `${id}-${opened.length}`), { eos: false, sync: false });
          opened.push(ts);
          stateStore = () => ts.factory;
        }
        const driver = new TopologyTestDriver(build(id, 'ev', 'out'), { wallClock: 1_000_000, ...(stateStore ? { stateStore } : {}) });
        try {
          const input = driver.input('ev', { key: string(), value: json<Ev>() });
          for (const e of events()) input.pipe({ ...e, timestamp: e.value.ts });
          driver.advanceWallClock(10);
          const got = driver
            .output('out', { key: string(), value: string() })
            .readKeyValues()
            .map(([k, v]) => `${k}=${v}`);
          assert.deepEqual(got.sort(), expected(), `app ${id}`);
        } finally {
          driver.close();
        }
      }
    } finally {
      for (const ts of opened) await ts.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`process(): timers read MapState after another app ran in the process (real run on the embedded log, ${store} stores)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tributary-timer-state-'));
    const log = await openLog(join(dir, 'log'));
    try {
      // One partition: the record at 10 s moves the watermark of the task holding every key.
      for (const [run, id] of [
        [0, 'first'],
        [1, 'second'],
      ] as const) {
        const topic = `ev-${id}`;
        await log.createTopic(topic, { partitions: 1 });
        await produce(
          log,
          topic,
          events().map((e) => ({ key: e.key, value: JSON.stringify(e.value), timestamp: e.value.ts })),
        );
        const app = build(id, topic, `out-${id}`);
        await app.start({ log: embedded({ manager: log }), stateStore: store, stateDir: join(dir, 'state'), commitIntervalMs: 20, wallClockIntervalMs: 10 });
        const deadline = Date.now() + 30_000;
        const read = () => readTopic(log, `out-${id}`).map((o) => `${o.key!.toString()}=${o.value!.toString()}`);
        while (read().length < expected().length && Date.now() < deadline) await sleep(20);
        await app.close();
        assert.deepEqual(read().sort(), expected(), `run ${run}: app ${id}`);
      }
    } finally {
      await log.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('process(): numeric keys (float64) and numeric map keys, two drivers alive at once', () => {
  const make = (applicationId: string) => {
    const app = new StreamsApp({ applicationId });
    app
      .stream('bids', { key: float64(), value: json<{ auction: number; ts: number }>(), timestamp: (b) => b.ts, maxOutOfOrderness: 0 })
      .process<number, string>(
        () => {
          let perAuction!: MapState<number, number>;
          return {
            init(ctx) {
              perAuction = ctx.state.map<number, number>('per-auction');
            },
            process(r, ctx) {
              perAuction.set(r.value.auction, (perAuction.get(r.value.auction) ?? 0) + 1);
              ctx.timers.registerEventTime(r.timestamp + 1_000);
              ctx.timers.registerProcessingTime(ctx.wallClock + 1_000);
            },
            onTimer(t, ctx) {
              ctx.forward(ctx.key, `${t.domain}:${perAuction.get(7)}`);
            },
          };
        },
        { name: 'q12ish' },
      )
      .to('out', { key: float64(), value: string() });
    return app;
  };
  const a = new TopologyTestDriver(make('one'));
  const b = new TopologyTestDriver(make('two'));
  for (const d of [a, b, a]) {
    const input = d.input('bids', { key: float64(), value: json<{ auction: number; ts: number }>() });
    input.pipe({ key: 42, value: { auction: 7, ts: 1_000 } });
    input.pipe({ key: 42, value: { auction: 8, ts: 3_000 } });
    d.advanceWallClock(2_000);
    const got = d.output('out', { key: float64(), value: string() }).readValues();
    assert.ok(got.length >= 2 && got.every((v) => /^(event|processing):\d+$/.test(v!)), JSON.stringify(got));
  }
  a.close();
  b.close();
});
