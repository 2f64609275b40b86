/**
 * The Nexmark queries with a repartition, run on the embedded log in one process three ways —
 * through the repartition topics, in memory as bytes, in memory as objects (the runner's default)
 * — write the same records. (q12 is left out: its windows are in processing time.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { StreamsApp, embedded } from '../../../src/index.js';
import { encodeRecordBatch } from '../../../src/records/record-batch.js';
import { generateEvents } from '../../../bench/nexmark/generator.js';
import { eventToJson } from '../../../bench/nexmark/model.js';
import { EVENTS_TOPIC, buildQuery, queryNamed } from '../../../bench/nexmark/queries/index.js';
import { openLog, readTopic, tempDir } from './helpers.js';

const QUERIES = ['q3', 'q4', 'q5', 'q7', 'q8', 'q11', 'q15', 'q16', 'q17', 'q18', 'q19', 'q20'];
/** Queries whose output is a changelog (README: q4, q15-q19): a key's row is updated. */
const UPDATING = new Set(['q4', 'q15', 'q16', 'q17', 'q18', 'q19']);
const MODES = [
  { name: 'log', localRepartition: false, localRepartitionObjects: false },
  { name: 'bytes', localRepartition: true, localRepartitionObjects: false },
  { name: 'objects', localRepartition: true, localRepartitionObjects: true },
] as const;

test('Nexmark queries with keyBy: the same output records through the log, in memory as bytes and in memory as objects', async () => {
  const { dir, cleanup } = tempDir('tributary-u2-nexmark-');
  const log = await openLog(dir);
  try {
    // 30 s of event time (1,000 events/s): the 10 s windows close several times before the end of input.
    const events = generateEvents(30_000, { firstEventRate: 1000, nextEventRate: 1000 });
    await log.createTopic(EVENTS_TOPIC, { partitions: 1 });
    for (let i = 0; i < events.length; i += 1000) {
      const records = events.slice(i, i + 1000).map((e) => ({ key: null, value: Buffer.from(eventToJson(e)), timestamp: e.dateTime }));
      await log.partition(EVENTS_TOPIC, 0).append(encodeRecordBatch({ records }));
    }
    for (const q of QUERIES) {
      const outputs: string[][] = [];
      for (const mode of MODES) {
        const app = new StreamsApp({ applicationId: `${q}-${mode.name}`, idleTimeout: '1h' });
        buildQuery(app, queryNamed(q)!, `${q}-${mode.name}-out`);
        await app.run({ until: 'end', log: embedded({ manager: log }), stateDir: join(dir, `${q}-${mode.name}`), ...mode });
        const rows = readTopic(log, `${q}-${mode.name}-out`).map((r) => [r.key?.toString('hex') ?? '-', r.value?.toString() ?? 'null'] as const);
        // Updating queries emit a key's row per commit (how many depends on when commits fall): compare each key's last
        // row, as a reader of the changelog-style output would. The others: every record, as a multiset.
        outputs.push(UPDATING.has(q) ? [...new Map(rows).entries()].map(([k, v]) => `${k} ${v}`).sort() : rows.map(([k, v]) => `${k} ${v}`).sort());
      }
      assert.ok(outputs[0]!.length > 0, `${q} wrote nothing`);
      assert.deepEqual(outputs[1], outputs[0], `${q}: in memory as bytes`);
      assert.deepEqual(outputs[2], outputs[0], `${q}: in memory as objects`);
    }
  } finally {
    await log.close();
    cleanup();
  }
});

test('the Nexmark runner repartitions in memory by default and through the log with repartition: log, and says so in its result', async () => {
  const { runNexmark } = await import('../../../bench/nexmark/runner.js');
  const mem = await runNexmark({ query: 'q11', events: 20_000, source: 'log' });
  const viaLog = await runNexmark({ query: 'q11', events: 20_000, source: 'log', repartition: 'log' });
  assert.equal(mem.repartition, 'memory');
  assert.equal(viaLog.repartition, 'log');
  assert.ok(mem.outputs > 0);
  assert.equal(mem.outputs, viaLog.outputs);
});
