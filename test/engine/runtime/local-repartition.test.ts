import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { StreamsApp, embedded, json, string, tumbling } from '../../../src/index.js';
import { LocalExchange } from '../../../src/engine/runtime/local-exchange.js';
import type { InputRecord, OutputRecord } from '../../../src/engine/records.js';
import { markerHeaders } from '../../../src/engine/watermarks.js';
import { timeWindowReference } from '../reference.js';
import { openLog, produce, readTopic, tempDir } from './helpers.js';
import { PARTITIONS, REF_OPTS, build, eventsOf, generate, results, type Click } from './clicks.js';

const rec = (topic: string, partition: number, v: string): OutputRecord => ({ topic, partition, timestamp: 1, key: Buffer.from(v), value: Buffer.from(v), headers: [] });

test('LocalExchange: per-partition send order, markers delivered but not counted, other topics passed on, records sent while delivering delivered too', () => {
  const passed: OutputRecord[] = [];
  const counts = new Map<string, { records: number }>();
  const ex = new LocalExchange({ send: (r) => passed.push(r) }, new Map([['a', 2], ['b', 1]]), counts);
  const got: Array<[string, number, string[]]> = [];
  ex.send(rec('a', 1, 'x1'));
  ex.send(rec('out', 0, 'o'));
  ex.send(rec('a', 0, 'y1'));
  ex.send({ topic: 'a', partition: 1, timestamp: 5, key: null, value: null, headers: markerHeaders(5, 0, 1, false) });
  ex.send(rec('a', 1, 'x2'));
  assert.equal(ex.pending, 4);
  assert.deepEqual(passed.map((r) => r.topic), ['out']);
  assert.equal(counts.get('a')!.records, 3, 'the marker is not a record');
  ex.drain((topic, partition, records: InputRecord[]) => {
    got.push([topic, partition, records.map((r) => (r.value ? r.value.toString() : 'marker'))]);
    // A reading task that writes to a further repartition topic.
    if (topic === 'a') for (const r of records) if (r.value) ex.send(rec('b', 0, `${r.value.toString()}'`));
    for (let i = 1; i < records.length; i++) assert.equal(records[i]!.offset, records[i - 1]!.offset + 1);
  });
  assert.equal(ex.pending, 0);
  assert.deepEqual(got, [
    ['a', 0, ['y1']],
    ['a', 1, ['x1', 'marker', 'x2']],
    ['b', 0, ["y1'", "x1'", "x2'"]],
  ]);
  assert.throws(() => ex.send(rec('a', 2, 'z')), RangeError);
});

test('keyBy in one process: the repartition goes through memory (topic not written), same results and counts as through the log', async () => {
  const { dir, cleanup } = tempDir();
  const log = await openLog(dir);
  try {
    await log.createTopic('clicks', { partitions: PARTITIONS });
    const { records } = generate(8_000, 11);
    await produce(log, 'clicks', records, 100);
    const ref = timeWindowReference(eventsOf(records), REF_OPTS, (acc) => (acc ?? 0) + 1);
    const run = (id: string, localRepartition: boolean | undefined) =>
      build(id, { input: 'clicks', output: `${id}-counts` }).run({
        until: 'end',
        log: embedded({ manager: log }),
        stateDir: join(dir, `state-${id}`),
        commitIntervalMs: 10,
        fetchMaxBytes: 16 * 1024,
        ...(localRepartition === undefined ? {} : { localRepartition }),
      });
    const local = await run('lr', true);
    const rep = 'lr-clicks-keyBy-repartition';
    assert.deepEqual(results(log, 'lr-counts').map, ref.results);
    assert.equal(results(log, 'lr-counts').n, ref.results.size);
    assert.equal(readTopic(log, 'lr-dlq').length, ref.late.length);
    assert.ok(log.hasTopic(rep), 'the topic exists (a scaled-out run of the same application uses it)');
    assert.equal(readTopic(log, rep, 'read_uncommitted').length, 0, 'nothing written to the repartition topic');
    assert.equal(local.recordsIn[rep], records.length);
    assert.equal(local.recordsOut[rep], records.length);

    const viaLog = await run('lg', undefined); // the default: through the topic
    const repLog = 'lg-clicks-keyBy-repartition';
    assert.deepEqual(results(log, 'lg-counts').map, ref.results);
    assert.ok(readTopic(log, repLog).length > records.length, 'records and markers went through the topic');
    assert.equal(viaLog.recordsIn[repLog], records.length);
    assert.equal(viaLog.recordsOut[repLog], records.length);
  } finally {
    await log.close();
    cleanup();
  }
});

test('a run that fails at a commit (transaction aborted) while repartition records were in memory: the restart gives exactly the reference', async () => {
  const { dir, cleanup } = tempDir();
  const log = await openLog(dir);
  try {
    await log.createTopic('clicks', { partitions: PARTITIONS });
    const { records } = generate(6_000, 12);
    await produce(log, 'clicks', records, 50);
    const ref = timeWindowReference(eventsOf(records), REF_OPTS, (acc) => (acc ?? 0) + 1);
    // mapAsync before keyBy: at a commit, settling the calls sends repartition records that must be
    // processed downstream before the source offsets are committed.
    const app = () => {
      const a = new StreamsApp({ applicationId: 'lc' });
      a.stream('clicks', { key: string(), value: json<Click>(), timestamp: (c) => c.ts, maxOutOfOrderness: '2s' })
        .mapAsync(async (c) => {
          await new Promise((r) => setImmediate(r));
          return c;
        })
        .keyBy((c) => c.page, { key: string() })
        .window(tumbling('10s'), { grace: '1s' })
        .count()
        .toStream()
        .to('counts', { value: json() });
      return a;
    };
    const options = { log: embedded({ manager: log }), stateDir: join(dir, 'state'), commitIntervalMs: 5, fetchMaxBytes: 4 * 1024, fetchMaxBytesPerPartition: 2 * 1024 };
    let commits = 0;
    const failed = await app()
      .run({
        ...options,
        until: 'end',
        beforeCommit: () => {
          if (++commits === 3) throw new Error('crash before the commit');
        },
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(failed instanceof Error && failed.message === 'crash before the commit', `${String(failed)} after ${commits} commits`);
    const before = results(log).n;
    assert.ok(before < ref.results.size, 'the first run did not finish');
    await app().run({ ...options, until: 'end' });
    const got = results(log);
    assert.equal(got.n, ref.results.size, 'nothing duplicated, nothing lost');
    assert.deepEqual(got.map, ref.results);
  } finally {
    await log.close();
    cleanup();
  }
});
