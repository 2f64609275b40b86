import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embedded, runThreads, TopologyError } from '../../../src/index.js';
import type { LogManager } from '../../../src/log/log-manager.js';
import { openLog, produce, readTopic, rng, tempDir, type In } from '../runtime/helpers.js';
import threadsApp from './fixtures/threads-app.js';

const MODULE = new URL('./fixtures/threads-app.ts', import.meta.url);
const T0 = 1_700_000_000_000;

/** 4 partitions of clicks and purchases, keyed by user, in event-time order per partition with some disorder. */
async function input(log: LogManager): Promise<void> {
  await log.createTopic('clicks', { partitions: 4 });
  await log.createTopic('purchases', { partitions: 4 });
  const random = rng(7);
  const clicks: In[] = [];
  const purchases: In[] = [];
  for (let i = 0; i < 6000; i++) {
    const ts = T0 + i * 20 + Math.floor(random() * 300);
    const user = `u${Math.floor(random() * 200)}`;
    clicks.push({ key: user, value: JSON.stringify({ page: `p${Math.floor(random() * 30)}`, n: 1 }), timestamp: ts });
    if (i % 7 === 0) purchases.push({ key: user, value: JSON.stringify({ page: `p${i % 30}`, n: 1 }), timestamp: ts + Math.floor(random() * 2000) });
  }
  await produce(log, 'clicks', clicks, 300);
  await produce(log, 'purchases', purchases, 300);
}

/** The committed records of a topic, as comparable lines (partition, key, value, timestamp), sorted. */
function lines(log: LogManager, topic: string): string[] {
  return readTopic(log, topic)
    .map((r) => `${r.partition}|${r.key?.toString()}|${r.value?.toString()}|${r.timestamp}`)
    .sort();
}

/** Runs the app to the end of its input, on `threads` threads (0: in this thread, no runThreads), and returns its outputs. */
async function outputs(threads: number, processingGuarantee: 'exactly-once' | 'at-least-once' = 'exactly-once', module: string | URL = MODULE): Promise<{ views: string[]; bought: string[]; recordsIn: Record<string, number> }> {
  const { dir, cleanup } = tempDir('tributary-threads-');
  const log = await openLog(join(dir, 'log'));
  try {
    await input(log);
    const conn = embedded({ manager: log });
    const stateDir = join(dir, 'state');
    const summary =
      threads === 0
        ? await threadsApp({ log: conn, dataDir: dir, durationMs: undefined, signal: new AbortController().signal, args: [] }).run({ until: 'end', log: conn, stateDir, processingGuarantee })
        : await runThreads(module, { threads, log: conn, until: 'end', stateDir, processingGuarantee });
    return { views: lines(log, 'views'), bought: lines(log, 'bought'), recordsIn: summary.recordsIn };
  } finally {
    await log.close();
    cleanup();
  }
}

test('runThreads: 3 threads over 4 partitions (2 + 1 + 1) give exactly the outputs of a run in one thread: windows through a repartition topic, a windowed join', { timeout: 120_000 }, async () => {
  const one = await outputs(0);
  assert.ok(one.views.length > 100 && one.bought.length > 100, `enough results to compare (${one.views.length} windows, ${one.bought.length} joins)`);
  const three = await outputs(3);
  assert.deepEqual(three.views, one.views);
  assert.deepEqual(three.bought, one.bought);
  assert.deepEqual(three.recordsIn, one.recordsIn, 'every input and repartition record read once, over all threads');
});

test('runThreads at-least-once (plain producers, offsets committed outside transactions): the same outputs as one thread when nothing fails', { timeout: 120_000 }, async () => {
  const one = await outputs(0, 'at-least-once');
  const two = await outputs(2, 'at-least-once');
  assert.deepEqual(two.views, one.views);
  assert.deepEqual(two.bought, one.bought);
  assert.deepEqual(two.recordsIn, one.recordsIn);
});

test('runThreads: more threads than partitions — the threads without tasks end with the others', { timeout: 120_000 }, async () => {
  const one = await outputs(0);
  // The module as a path relative to the working directory, as a CLI would pass it.
  const six = await outputs(6, 'exactly-once', relative(process.cwd(), fileURLToPath(MODULE)));
  assert.deepEqual(six.views, one.views);
  assert.deepEqual(six.bought, one.bought);
});

test('runThreads: a module without the export, and a thread count that is not a whole number, are refused with clear errors', { timeout: 60_000 }, async () => {
  const { dir, cleanup } = tempDir('tributary-threads-');
  const log = await openLog(join(dir, 'log'));
  try {
    await input(log);
    const conn = embedded({ manager: log });
    await assert.rejects(runThreads(MODULE, { threads: 0, log: conn, until: 'end' }), TopologyError);
    await assert.rejects(runThreads(MODULE, { threads: 2, log: conn, until: 'end', export: 'notAnApp', stateDir: join(dir, 'state') }), /has no function export 'notAnApp'/);
    await assert.rejects(runThreads(MODULE, { threads: 2, log: conn, until: 'end', export: 'missing', stateDir: join(dir, 'state') }), /has no function export 'missing'/);
    await assert.rejects(runThreads(MODULE, { threads: 2, log: conn, until: 'end', export: 'makesNoApp', stateDir: join(dir, 'state') }), /makesNoApp of .* should return a StreamsApp/);
    // The log is still usable: the failed runs released it.
    assert.equal(log.partitionCount('clicks'), 4);
  } finally {
    await log.close();
    cleanup();
  }
});
