import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnFixture, type FixtureProcess } from '../../support/fixture-process.js';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { timeWindowReference, windowKey, type Ev } from '../reference.js';
import { openLog, readTopic, rng, tempDir } from './helpers.js';
import { GRACE, INPUT, OOO, PARTITIONS, WINDOW, type EosEvent } from './fixtures/eos-app.js';

/**
 * Kafka Streams' EosTestDriver pattern: the app (stateless map; keyBy + windowed sum + map) runs
 * as a child process, with its input driver, and is SIGKILLed at random moments and restarted;
 * a last run finishes the input (bounded). A verifier then reads the outputs read_committed and
 * compares them with the reference computed straight from the input topic.
 *
 * EOS_RECORDS (default 150,000; the issue's 1M: EOS_RECORDS=1000000), EOS_KILLS (default 7),
 * EOS_RATE (input records/s while running; default: the input lasts ~15 s), EOS_SEED.
 */
const RECORDS = Number(process.env.EOS_RECORDS ?? 150_000);
const KILLS = Number(process.env.EOS_KILLS ?? 7);
/** Input rate while the app runs: by default the input lasts ~15 s, about as long as the kill rounds, so every kill hits an app with work. */
const RATE = process.env.EOS_RATE === undefined ? undefined : Number(process.env.EOS_RATE);
const SEED = Number(process.env.EOS_SEED ?? Date.now() % 100_000);
const PER_PARTITION = Math.ceil(RECORDS / PARTITIONS);
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'eos-app.ts');

function launch(dir: string, mode: 'run' | 'finish', guarantee: string, store: string, perPartition: number, extra: string[] = [], inputSeconds = 15): FixtureProcess {
  return spawnFixture(FIXTURE, [dir, mode, String(perPartition), String(RATE ?? Math.ceil((perPartition * PARTITIONS) / inputSeconds)), guarantee, store, ...extra]);
}

/** Runs the kill/restart rounds, then the finishing run; returns the log dir and what happened. */
async function crashRuns(guarantee: 'exactly-once' | 'at-least-once', kills: number, seed: number, store = 'memory', perPartition = PER_PARTITION, threads = 1) {
  const threadArgs = threads > 1 ? [`threads:${threads}`] : [];
  // Threads take longer to start: the input lasts longer, so that the later kill-in-txn rounds still find transactions with data.
  const inputSeconds = threads > 1 ? 45 : 15;
  const { dir, cleanup } = tempDir('tributary-eos-');
  const random = rng(seed);
  let killedRunning = 0;
  let killedInTransaction = 0;
  const t0 = Date.now();
  for (let k = 0; k < kills; k++) {
    if (k % 4 === 1 && guarantee === 'exactly-once') {
      // Not left to chance: the app kills itself (SIGKILL) at the first moment, after a random delay,
      // at which `eos-mapped` holds data of an open transaction, so at least one transaction is
      // certainly aborted (early in the rounds, while the driver still has input to write).
      // At-least-once writes no transactions to kill inside.
      const run = launch(dir, 'run', guarantee, store, perPartition, [`kill-in-txn:${Math.round(200 + random() * 1_000)}`, ...threadArgs], inputSeconds);
      assert.ok(await run.ready, 'the app started');
      assert.equal(await run.exit, null, `killed itself by the signal, not crashed:\n${run.out()}\n${run.err()}`);
      assert.match(run.out(), /^IN-TXN /m, 'killed while a transaction held data in eos-mapped');
      killedRunning++;
      killedInTransaction++;
      continue;
    }
    const run = launch(dir, 'run', guarantee, store, perPartition, threadArgs, inputSeconds);
    if (k % 4 === 3) {
      // Now and then at any moment from the spawn: during start-up, restore or processing.
      await Promise.race([sleep(300 + random() * 2_500), run.exit]);
    } else {
      const ready = await run.ready;
      assert.ok(ready, 'the app started');
      await Promise.race([sleep(200 + random() * 1_800), run.exit]);
    }
    if (run.out().includes('READY')) killedRunning++;
    run.child.kill('SIGKILL');
    assert.equal(await run.exit, null, 'killed by the signal, not crashed');
  }
  const fin = launch(dir, 'finish', guarantee, store, perPartition, threadArgs);
  assert.equal(await fin.exit, 0, 'the finishing run completes');
  const summary = JSON.parse(fin.out().trim().split('\n').pop()!) as { recordsIn: Record<string, number> };
  return { dir, cleanup, killedRunning, killedInTransaction, summary, seconds: (Date.now() - t0) / 1000 };
}

async function verify(dir: string) {
  const log = await openLog(join(dir, 'log'));
  try {
    const input = readTopic(log, INPUT, 'read_uncommitted');
    const events: Ev[] = [];
    const mappedExpected: string[] = [];
    for (const r of input) {
      const e = JSON.parse(r.value!.toString()) as EosEvent;
      events.push({ key: e.g, ts: e.ts, n: e.v, partition: r.partition });
      mappedExpected.push(`${r.key!.toString()}|${JSON.stringify({ ...e, v: e.v * 2 })}`);
    }
    // readTopic walks partition by partition in offset order: the per-partition order the reference needs.
    const ref = timeWindowReference(events, { size: WINDOW, grace: GRACE, ooo: OOO }, (acc, e) => (acc ?? 0) + e.n);
    const outputs = readTopic(log, 'eos-output').map((r) => {
      const [start, sum] = r.value!.toString().split(':');
      return [windowKey(r.key!.toString(), Number(start)), Number(sum)] as const;
    });
    const mapped = readTopic(log, 'eos-mapped').map((r) => `${r.key!.toString()}|${r.value!.toString()}`);
    const dlq = readTopic(log, 'eos-dlq');
    const uncommitted = readTopic(log, 'eos-mapped', 'read_uncommitted').length;
    return { input, ref, outputs, mapped, mappedExpected, dlq, uncommitted };
  } finally {
    await log.close();
  }
}

async function checkExactlyOnce(
  run: Awaited<ReturnType<typeof crashRuns>>,
  kills: number,
  perPartition: number,
  label: string,
): Promise<void> {
  const v = await verify(run.dir);
  process.stderr.write(
    `eos crash test ${label} (seed ${SEED}): ${v.input.length} records, ${kills} kills (${run.killedRunning} while processing, ${run.killedInTransaction} inside an open transaction), ` +
      `${v.uncommitted - v.mapped.length} aborted records skipped in eos-mapped, ${run.seconds.toFixed(1)} s\n`,
  );
  assert.equal(v.input.length, perPartition * PARTITIONS, 'the driver wrote the whole input');
  assert.ok(run.killedRunning >= 5, `at least 5 kills while processing (${run.killedRunning})`);
  // Stateless path: every input record exactly once.
  assert.equal(v.mapped.length, v.input.length, 'eos-mapped: nothing lost, nothing duplicated');
  assert.deepEqual([...v.mapped].sort(), [...v.mappedExpected].sort());
  // Stateful path through a repartition topic: each window exactly once, with the reference sum.
  assert.equal(v.outputs.length, v.ref.results.size, 'eos-output: one result per window');
  assert.deepEqual(new Map(v.outputs), v.ref.results);
  assert.equal(v.dlq.length, v.ref.late.length, 'late records dead-lettered exactly once');
  // The kills really interrupted transactions (at least the kill-in-txn rounds did): their records are in the
  // log, skipped by read_committed.
  assert.ok(run.killedInTransaction >= 1, 'at least one kill inside an open transaction');
  assert.ok(v.uncommitted > v.mapped.length, 'some transactions were aborted');
}

test(`exactly-once: ${RECORDS} records, the app SIGKILLed ${KILLS} times and restarted: committed output equals the reference`, { timeout: 900_000 }, async () => {
  const run = await crashRuns('exactly-once', KILLS, SEED);
  try {
    await checkExactlyOnce(run, KILLS, PER_PARTITION, '(in-memory stores)');
  } finally {
    run.cleanup();
  }
});

// A smaller run about the on-disk state surviving the same kills; its kill-in-txn rounds abort transactions too.
test('exactly-once with on-disk (LMDB) stores: SIGKILLed and restarted, local state checkpointed or wiped and restored; same exact output', { timeout: 900_000 }, async () => {
  const perPartition = Math.ceil(Math.min(RECORDS, 60_000) / PARTITIONS);
  const run = await crashRuns('exactly-once', 6, SEED + 2, 'lmdb', perPartition);
  try {
    await checkExactlyOnce(run, 6, perPartition, '(LMDB stores)');
  } finally {
    run.cleanup();
  }
});

// runThreads: two threads of one process, each with its own transactional producer, over 3 partitions (2 + 1).
test('exactly-once on 2 threads (runThreads): the process SIGKILLed and restarted; same exact output', { timeout: 900_000 }, async () => {
  const perPartition = Math.ceil(Math.min(RECORDS, 90_000) / PARTITIONS);
  const run = await crashRuns('exactly-once', 6, SEED + 3, 'memory', perPartition, 2);
  try {
    await checkExactlyOnce(run, 6, perPartition, '(2 threads)');
  } finally {
    run.cleanup();
  }
});

test('at-least-once: the app SIGKILLed 3 times: nothing lost (duplicates allowed)', { timeout: 600_000 }, async () => {
  const run = await crashRuns('at-least-once', 3, SEED + 1);
  try {
    const v = await verify(run.dir);
    assert.equal(v.input.length, PER_PARTITION * PARTITIONS);
    const have = new Map<string, number>();
    for (const m of v.mapped) have.set(m, (have.get(m) ?? 0) + 1);
    for (const m of v.mappedExpected) assert.ok((have.get(m) ?? 0) >= 1, `lost: ${m}`);
    const best = new Map<string, number>();
    for (const [k, s] of v.outputs) best.set(k, Math.max(best.get(k) ?? 0, s));
    for (const [k, s] of v.ref.results) assert.ok((best.get(k) ?? -1) >= s, `window ${k}: ${best.get(k)} < ${s}`);
  } finally {
    run.cleanup();
  }
});
