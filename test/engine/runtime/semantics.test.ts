import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StreamsApp, embedded, string } from '../../../src/index.js';
import { timeWindowReference } from '../reference.js';
import { openLog, produce, readTopic, tempDir } from './helpers.js';
import { PARTITIONS, REF_OPTS, build, eventsOf, generate, results } from './clicks.js';

const count = (acc: number | undefined) => (acc ?? 0) + 1;

test('bounded run on the embedded log: windowed count with keyBy gives exactly the reference (late records dead-lettered)', async () => {
  const { dir, cleanup } = tempDir();
  const log = await openLog(dir);
  try {
    await log.createTopic('clicks', { partitions: PARTITIONS });
    const { records } = generate(4_000, 1);
    await produce(log, 'clicks', records, 97);
    const ref = timeWindowReference(eventsOf(records), REF_OPTS, count);
    assert.ok(ref.late.length > 20, 'the input has late records');

    const summary = await build('wc').run({ until: 'end', log: embedded({ manager: log }), stateDir: join(dir, 'state') });
    const got = results(log);
    assert.equal(got.n, ref.results.size, 'one result per window: nothing duplicated');
    assert.deepEqual(got.map, ref.results);
    assert.equal(summary.lateRecords, ref.late.length);
    assert.equal(summary.deadLettered, ref.late.length);
    assert.equal(readTopic(log, 'wc-dlq').length, ref.late.length);
    assert.equal(summary.recordsIn['clicks'], records.length);
    assert.equal(summary.recordsIn['wc-clicks-keyBy-repartition'], records.length);
    assert.equal(summary.recordsOut['counts'], ref.results.size);
    // Internal topics: the repartition topic with the writing side's task count, delete policy;
    // changelogs compacted, one partition per task.
    const rep = log.describeTopic('wc-clicks-keyBy-repartition');
    assert.equal(rep.partitions.length, PARTITIONS);
    assert.equal(rep.config['cleanup.policy'], 'delete');
    const changelogs = log.listTopics().filter((t) => t.endsWith('-changelog'));
    assert.ok(changelogs.length >= 2);
    for (const t of changelogs) assert.equal(log.describeTopic(t).config['cleanup.policy'], 'compact', t);
    // A second bounded run finds nothing new: no output, no duplicate.
    const again = await build('wc').run({ until: 'end', log: embedded({ manager: log }), stateDir: join(dir, 'state') });
    assert.equal(again.recordsIn['clicks'] ?? 0, 0);
    assert.equal(results(log).n, ref.results.size);
  } finally {
    await log.close();
    cleanup();
  }
});

test('continuous run with data appended while it runs, stopped, then finished by a bounded run: exactly the reference', async () => {
  const { dir, cleanup } = tempDir();
  const log = await openLog(dir);
  try {
    await log.createTopic('clicks', { partitions: PARTITIONS });
    const { records } = generate(3_000, 2);
    const ref = timeWindowReference(eventsOf(records), REF_OPTS, count);
    const options = { log: embedded({ manager: log }), stateDir: join(dir, 'state'), commitIntervalMs: 50 };

    const app = build('wc2');
    await app.start(options);
    const chunks = 6;
    const size = Math.ceil(records.length / chunks);
    for (let c = 0; c < chunks; c++) {
      await produce(log, 'clicks', records.slice(c * size, (c + 1) * size), 53);
      await sleep(60);
    }
    // Windows come out while it runs (the watermark moves with the data).
    const deadline = Date.now() + 10_000;
    while (results(log).n < ref.results.size / 2 && Date.now() < deadline) await sleep(20);
    assert.ok(results(log).n >= ref.results.size / 2, 'windows were emitted while running');
    const first = await app.close();
    assert.ok(first && first.commits > 0);
    assert.equal(first.recordsIn['clicks'], records.length, 'the running app read everything appended');

    // A new instance resumes from the committed offsets and restored state, and ends the input.
    await build('wc2').run({ ...options, until: 'end' });
    const got = results(log);
    assert.equal(got.n, ref.results.size, 'one result per window across both runs: nothing duplicated');
    assert.deepEqual(got.map, ref.results);
    assert.equal(readTopic(log, 'wc2-dlq').length, ref.late.length);
  } finally {
    await log.close();
    cleanup();
  }
});

test('at-least-once: same results without transactions (no transactional records in the outputs)', async () => {
  const { dir, cleanup } = tempDir();
  const log = await openLog(dir);
  try {
    await log.createTopic('clicks', { partitions: PARTITIONS });
    const { records } = generate(3_000, 3);
    await produce(log, 'clicks', records, 101);
    const ref = timeWindowReference(eventsOf(records), REF_OPTS, count);
    await build('alo').run({ until: 'end', log: embedded({ manager: log }), stateDir: join(dir, 'state'), processingGuarantee: 'at-least-once' });
    const got = results(log);
    assert.equal(got.n, ref.results.size);
    assert.deepEqual(got.map, ref.results);
    assert.equal(log.partition('counts', 0).producerStates().length, 0, 'plain appends, no producer ids');
    assert.equal((await build('alo').run({ until: 'end', log: embedded({ manager: log }), stateDir: join(dir, 'state'), processingGuarantee: 'at-least-once' })).recordsIn['clicks'] ?? 0, 0, 'offsets were committed');
  } finally {
    await log.close();
    cleanup();
  }
});

test('mapAsync: the runtime settles calls before committing; every record exactly once, per-key order kept', async () => {
  const { dir, cleanup } = tempDir();
  const log = await openLog(dir);
  try {
    await log.createTopic('nums', { partitions: 2 });
    const input = Array.from({ length: 2_000 }, (_, i) => ({ key: `k${i % 17}`, value: String(i), timestamp: 1_000 + i }));
    await produce(log, 'nums', input, 64);
    const app = new StreamsApp({ applicationId: 'async' });
    app
      .stream('nums', { key: string(), value: string() })
      .mapAsync(
        async (v) => {
          await sleep(Math.random() * 3);
          return `${v}!`;
        },
        { concurrency: 8 },
      )
      .to('async-out', { value: string() });
    const summary = await app.run({ until: 'end', log: embedded({ manager: log }), stateDir: join(dir, 'state'), commitIntervalMs: 20, fetchMaxBytes: 2048, maxPendingAsync: 50 });
    assert.ok(summary.commits > 1, `commits: ${summary.commits}`);
    const out = readTopic(log, 'async-out').map((r) => [r.key!.toString(), r.value!.toString()] as const);
    assert.equal(out.length, input.length);
    const perKey = new Map<string, number[]>();
    for (const [k, v] of out) perKey.set(k, [...(perKey.get(k) ?? []), Number(v.slice(0, -1))]);
    for (const [k, seq] of perKey) assert.deepEqual(seq, [...seq].sort((a, b) => a - b), `order of ${k}`);
    assert.deepEqual(out.map(([, v]) => v).sort(), input.map((r) => `${r.value}!`).sort());
  } finally {
    await log.close();
    cleanup();
  }
});
