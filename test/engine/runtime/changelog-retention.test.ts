// The changelogs of window and join stores on the embedded log: created `compact,delete` with
// retention.ms = window size + grace (a join: before + after + grace) + windowChangelogAdditionalRetention,
// holding no tombstones (a run stopped with open windows, resumed by one that closes them); the
// log's retention removes their records by time and leaves the compacted-only changelogs alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamsApp, embedded, json, string, tumbling, windowed } from '../../../src/index.js';
import { LogManager } from '../../../src/log/log-manager.js';
import { silentLogger } from '../../../src/log/logger.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { produce, readTopic, tempDir } from './helpers.js';

const HOUR = 3_600_000;

function build(): StreamsApp {
  const app = new StreamsApp({ applicationId: 'ret', windowChangelogAdditionalRetention: '1h' });
  const clicks = app.stream('clicks', { key: string(), value: json<{ ts: number }>(), timestamp: (v) => v.ts });
  clicks.groupByKey().window(tumbling('10s'), { grace: '1s' }).count({ name: 'counts' }).toStream().to('counts-out', { key: windowed(string()), value: json() });
  const views = app.stream('views', { key: string(), value: json<{ ts: number }>(), timestamp: (v) => v.ts });
  clicks.join(views, (a, b) => `${a.ts}/${b.ts}`, { within: '2s', name: 'pairs' }).to('pairs-out', { value: string() });
  return app;
}

const RUN = (log: LogManager) => ({ until: 'end' as const, log: embedded({ manager: log }) });

const events = (keys: number, from: number, n: number) =>
  Array.from({ length: n }, (_, i) => {
    const ts = from + i * 250;
    return { key: `k${i % keys}`, value: JSON.stringify({ ts }), timestamp: ts };
  });

test('window and join changelogs: compact,delete with the window-derived retention, no tombstones, deleted by time', async () => {
  const { dir, cleanup } = tempDir();
  let now = Date.now();
  const log = await LogManager.open({ dataDir: dir, logger: silentLogger, cleanerIntervalMs: 0, retentionCheckIntervalMs: 0, clock: () => now });
  try {
    await log.createTopic('clicks', { partitions: 1 });
    await log.createTopic('views', { partitions: 1 });
    await produce(log, 'clicks', events(5, 0, 400), 10);
    await produce(log, 'views', events(5, 125, 400), 10);
    // A continuous run, stopped once it closed the windows its watermark (99.75 s) passed: its last
    // commit writes the open windows (the 90 s ones) and the buffered join records to the changelogs.
    const running = build();
    await running.start({ log: embedded({ manager: log }) });
    const deadline = Date.now() + 20_000;
    while (readTopic(log, 'counts-out').length < 45 && Date.now() < deadline) await sleep(20);
    assert.equal(readTopic(log, 'counts-out').length, 45, '5 keys x 9 closed windows while running');
    await running.close();
    // A bounded run restores them and ends the input: the open windows close, the join records expire.
    await build().run(RUN(log));

    const expected = new Map([
      ['ret-counts-changelog', 10_000 + 1_000 + HOUR],
      ['ret-pairs-left-changelog', 4_000 + HOUR],
      ['ret-pairs-right-changelog', 4_000 + HOUR],
    ]);
    const changelogs = log.listTopics().filter((t) => t.endsWith('-changelog'));
    for (const [t, ms] of expected) {
      assert.ok(changelogs.includes(t), `${t} in ${changelogs.join(', ')}`);
      const config = log.describeTopic(t).config;
      assert.equal(config['cleanup.policy'], 'compact,delete', t);
      assert.equal(config['retention.ms'], ms, t);
      const records = readTopic(log, t);
      assert.ok(records.length > 0, `${t} has records`);
      assert.equal(records.filter((r) => r.value === null).length, 0, `${t}: no tombstones (windows closed, join records expired)`);
    }
    const others = changelogs.filter((t) => !expected.has(t));
    assert.ok(others.length > 0, 'the watermark store has a changelog too');
    for (const t of others) assert.equal(log.describeTopic(t).config['cleanup.policy'], 'compact', `${t} stays compacted only`);
    const firstCounts = readTopic(log, 'counts-out').length;
    assert.equal(firstCounts, 50, '5 keys x 10 windows of 10 s, each emitted once across both runs');
    const total = readTopic(log, 'counts-out').reduce((n, r) => n + (JSON.parse(r.value!.toString()) as number), 0);
    assert.equal(total, 400, 'every click counted once');

    // A day later the broker-side retention removes the window and join changelogs' records, not the others'.
    const othersBefore = others.map((t) => readTopic(log, t).length);
    now += 25 * HOUR;
    assert.ok((await log.runRetention()) > 0, 'segments deleted by retention.ms');
    for (const t of expected.keys()) assert.equal(readTopic(log, t).length, 0, `${t} emptied by retention`);
    assert.deepEqual(others.map((t) => readTopic(log, t).length), othersBefore, 'compact-only changelogs untouched');

  } finally {
    await log.close();
    cleanup();
  }
});
