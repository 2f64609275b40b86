import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { embedded } from '../../src/index.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { timeWindowReference } from './reference.js';
import { openLog, produce, readTopic, tempDir } from './runtime/helpers.js';
import { PARTITIONS, REF_OPTS, build, eventsOf, generate, results } from './runtime/clicks.js';

test('deleteRecords on the embedded log: whole segments below the offset go, never the active one or past the last stable offset', async () => {
  const { dir, cleanup } = tempDir();
  const log = await openLog(dir);
  try {
    await log.createTopic('t', { partitions: 1, config: { 'segment.bytes': 1024 } });
    const p = log.partition('t', 0);
    const bases: number[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await p.append(encodeRecordBatch({ records: [{ key: null, value: Buffer.alloc(200, i), timestamp: i }] }));
      bases.push(r.baseOffset);
    }
    const conn = await embedded({ manager: log }).connect();
    const end = p.logEndOffset;
    await conn.deleteRecords!([{ topic: 't', partition: 0, offset: 20 }]);
    const start = p.logStartOffset;
    assert.ok(start > 0 && start <= 20, `log start ${start} moved up to at most 20`);
    // Everything from the new start on is still there, in order.
    const left = readTopic(log, 't').map((r) => r.offset);
    assert.deepEqual(left, bases.filter((o) => o >= start));
    await conn.deleteRecords!([{ topic: 't', partition: 0, offset: end + 100 }]);
    assert.ok(p.logStartOffset < end, 'the active segment stays');
    assert.equal(p.logEndOffset, end);
    assert.deepEqual((await conn.beginningOffsets([{ topic: 't', partition: 0 }]))[0], p.logStartOffset);
  } finally {
    await log.close();
    cleanup();
  }
});

test('repartition topics are purged after commits, up to the committed offsets; results unchanged', async () => {
  const { dir, cleanup } = tempDir();
  const log = await openLog(dir);
  try {
    await log.createTopic('clicks', { partitions: PARTITIONS });
    // The runtime leaves an existing repartition topic as it is: small segments, so purging shows.
    const rep = 'pg-clicks-keyBy-repartition';
    await log.createTopic(rep, { partitions: PARTITIONS, config: { 'cleanup.policy': 'delete', 'retention.ms': -1, 'segment.bytes': 256 * 1024 } });
    const { records } = generate(30_000, 5);
    await produce(log, 'clicks', records, 50);
    const ref = timeWindowReference(eventsOf(records), REF_OPTS, (acc) => (acc ?? 0) + 1);
    // Through the topic (as scaled out): in one process repartition records stay in memory by default.
    const summary = await build('pg').run({ until: 'end', log: embedded({ manager: log }), stateDir: join(dir, 'state'), commitIntervalMs: 20, localRepartition: false });
    assert.deepEqual(results(log).map, ref.results);
    assert.equal(summary.recordsIn[rep], records.length);
    let purged = 0;
    for (let p = 0; p < PARTITIONS; p++) {
      const pl = log.partition(rep, p);
      assert.ok(pl.logStartOffset <= pl.logEndOffset);
      purged += pl.logStartOffset;
    }
    assert.ok(purged > 0, 'some repartition records were deleted');
    // The source topic is not the application's to purge.
    for (let p = 0; p < PARTITIONS; p++) assert.equal(log.partition('clicks', p).logStartOffset, 0);
  } finally {
    await log.close();
    cleanup();
  }
});
