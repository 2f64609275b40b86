// A moved task keeps its watermark (issue 5's duplicate-after-migration bug): instance A processes
// one partition past a window's end, emits the window as final, commits and leaves; a record late
// for that window then arrives and instance B, which takes the task over, must judge it late as A
// would have (the late side output), not open the window again and emit it a second time. The
// same through a repartition topic (the window task's watermark is the min of the upstream
// writers' markers), and for a restart of a single process. Deterministic: no load, no timing —
// each step waits until the group's committed offsets reach the input's end.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StreamsApp, json, string, tumbling, windowed, type Log, type LogConnector } from '../../../src/index.js';
import { tempDir } from '../../engine/runtime/helpers.js';
import { open, produceVia, readVia, targets, type In } from './logs.js';

interface Click {
  page: string;
  ts: number;
}

/** 10 s tumbling count per page, grace 1 s, out-of-orderness 2 s; late clicks to `<app>-late`; optionally via a repartition topic. */
function build(app: string, repartition: boolean): StreamsApp {
  const a = new StreamsApp({ applicationId: app });
  const clicks = a.stream(`${app}-in`, { key: string(), value: json<Click>(), timestamp: (c) => c.ts, maxOutOfOrderness: '2s' });
  const byPage = repartition ? clicks.keyBy((c) => c.page, { key: string() }) : clicks.groupByKey();
  const windowedClicks = byPage.window(tumbling('10s'), { grace: '1s' });
  windowedClicks.late().to(`${app}-late`, { key: string(), value: json() });
  windowedClicks.count().toStream().to(`${app}-out`, { value: json() });
  return a;
}

const click = (page: string, ts: number): In => ({ key: page, value: JSON.stringify({ page, ts } satisfies Click), timestamp: ts, partition: 0 });

/** The window results on `<app>-out`: window start -> list of counts emitted for it. */
async function results(admin: Log, app: string): Promise<Map<number, number[]>> {
  const kd = windowed(string());
  const out = new Map<number, number[]>();
  for (const r of await readVia(admin, `${app}-out`)) {
    const w = kd.deserialize(r.key!);
    out.set(w.start, [...(out.get(w.start) ?? []), JSON.parse(r.value!.toString()) as number]);
  }
  return out;
}

/** A processes clicks from 0 s to 24.5 s, emits the first two windows, commits, stops; a click at 5 s is written; B takes over. */
async function migrate(connector: LogConnector, admin: Log, app: string, options: { repartition: boolean; scaleOut: boolean }): Promise<void> {
  const { dir, cleanup } = tempDir();
  try {
    // The repartition topic has one partition as well: one task per sub-topology.
    await admin.createTopics([`${app}-in`, `${app}-out`, `${app}-late`, `${app}-dlq`].map((name) => ({ name, partitions: 1 })));
    const first: In[] = [];
    for (let ts = 0; ts < 25_000; ts += 500) first.push(click('home', ts));
    await produceVia(admin, `${app}-in`, first);
    // An instance runs until the window `until` is in the committed output: everything before the
    // record that closed it is processed and committed then (outputs and input offsets commit together).
    const run = async (instance: string, until: number) => {
      const a = build(app, options.repartition);
      await a.start({ log: connector, stateDir: join(dir, instance), instanceId: instance, commitIntervalMs: 20, ...(options.scaleOut ? { scaleOut: true, sessionTimeoutMs: 6_000 } : {}) });
      try {
        const deadline = Date.now() + 60_000;
        while (!(await results(admin, app)).has(until)) {
          if (Date.now() > deadline) assert.fail(`instance ${instance}: window ${until} never emitted`);
          await sleep(50);
        }
      } finally {
        await a.close();
      }
    };
    // Watermark 24.5 s - 2 s = 22.5 s: windows [0, 10 s) and [10 s, 20 s) close (end + grace <= watermark).
    await run('a', 10_000);
    const before = await results(admin, app);
    assert.deepEqual(before.get(0), [20], 'A emitted window [0, 10 s) once, with its 20 clicks');
    // Late for A (its watermark is 22.5 s); the click at 33 s moves the watermark to 31 s: [20 s, 30 s) closes.
    await produceVia(admin, `${app}-in`, [click('home', 5_000), click('home', 33_000)]);
    await run('b', 20_000);
    const after = await results(admin, app);
    assert.deepEqual(after.get(0), [20], 'window [0, 10 s) is emitted once: B judged the 5 s click late, as A would have');
    const late = await readVia(admin, `${app}-late`);
    assert.deepEqual(
      late.map((r) => (JSON.parse(r.value!.toString()) as Click).ts),
      [5_000],
      'the 5 s click went to the late side output',
    );
  } finally {
    cleanup();
  }
}

for (const target of targets()) {
  describe(`a moved task keeps its watermark on ${target.name === 'kafka' ? 'a real Kafka cluster' : 'tributary broker'}`, { skip: target.skip }, () => {
    after(() => target.stop());
    for (const repartition of [false, true]) {
      for (const scaleOut of [true, false]) {
        const what = `${scaleOut ? 'scale-out: the task moves to another instance' : 'restart of a single process'}${repartition ? ', through a repartition topic' : ''}`;
        test(what, { timeout: 180_000 }, async () => {
          const { connector, admin } = await open(await target.start());
          try {
            await migrate(connector, admin, `wm-${repartition ? 'r' : 'd'}-${scaleOut ? 's' : 'p'}`, { repartition, scaleOut });
          } finally {
            await admin.close();
          }
        });
      }
    }
  });
}
