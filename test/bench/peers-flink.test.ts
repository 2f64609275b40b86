// `npm run bench -- peers --peer flink` alternates the two systems' timed runs (F T, T F, ...),
// each system's runs in one process (Flink's JVM, Tributary's warmed-up process) waiting between them, so load changes fall on both alike; a JVM that
// dies is reported as a FlinkSessionError. Real Flink MiniCluster and real Tributary processes,
// on a small event range. Skipped, saying why, without java/javac/mvn.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ensureFlinkPeer, writeEventsFile, PeerUnavailableError } from '../../bench/peers/flink.js';
import { FlinkSession, FlinkSessionError } from '../../bench/peers/flink-session.js';
import { pairOrder, runFlinkPeer, tributaryTiming } from '../../bench/peers/flink-run.js';

let classpath: string | undefined;
let skip: string | false = false;
try {
  classpath = ensureFlinkPeer();
} catch (e) {
  if (!(e instanceof PeerUnavailableError)) throw e;
  skip = `Flink peer unavailable: ${e.message}`;
}
const dir = mkdtempSync(join(tmpdir(), 'tributary-peers-flink-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('pairs alternate which system runs first', () => {
  assert.deepEqual([0, 1, 2, 3].map(pairOrder), [
    ['flink', 'tributary'],
    ['tributary', 'flink'],
    ['flink', 'tributary'],
    ['tributary', 'flink'],
  ]);
});

test('q2: rows agree, then Flink and Tributary runs alternate, one at a time', { skip, timeout: 600_000 }, async () => {
  const agreeFile = join(dir, 'agree.jsonl');
  const file = join(dir, 'events.jsonl');
  await writeEventsFile(agreeFile, 5_000);
  await writeEventsFile(file, 8_000);
  const logged: string[] = [];
  const rows = await runFlinkPeer({
    classpath: classpath!,
    queries: ['q2'],
    file,
    events: 8_000,
    agreeFile,
    agreeEvents: 5_000,
    repeats: 2,
    log: (l) => logged.push(l),
  });
  assert.equal(rows.length, 1, logged.join('\n'));
  const row = rows[0]!;
  assert.equal(row.agreed, true, row.agreement);
  assert.ok(row.ratio !== null && row.ratio > 0);
  assert.equal(row.runs.tributary.length, 2);
  assert.equal(row.runs.peer.length, 2);
  for (const x of [...row.runs.tributary, ...row.runs.peer]) assert.ok(Number.isFinite(x) && x > 0);
  assert.deepEqual(
    row.schedule.map((s) => s.system),
    ['flink', 'tributary', 'tributary', 'flink'],
  );
  // one at a time: no run starts before the one before it ended
  for (let i = 1; i < row.schedule.length; i++) assert.ok(row.schedule[i]!.start >= row.schedule[i - 1]!.end);
  // Flink's start-up (planning, MiniCluster) is reported apart, not in its figures
  assert.ok(row.startup_cpu_seconds.peer > 0);
  // the runner's default, as the runs themselves reported it
  assert.equal(row.tributary_repartition, 'memory');
  // Tributary's runs in one warmed-up process, as Flink's in one JVM
  assert.equal(row.tributary_process, 'warm');
  // and ending in a blackhole, as Flink's (the runs report it; the agreement above used the log sink)
  assert.equal(row.tributary_sink, 'blackhole');
});

test('a Tributary run reports the repartition mode it was asked for', { timeout: 120_000 }, async () => {
  // q17 groups by auction: its records are repartitioned
  for (const mode of ['memory', 'log'] as const) {
    const run = await tributaryTiming('q17', 3_000, undefined, mode);
    assert.equal(run.repartition, mode);
    assert.ok(run.events_per_core_sec > 0);
  }
});

test('a Tributary run reports the sink it was asked for', { timeout: 120_000 }, async () => {
  for (const sink of ['blackhole', 'log'] as const) {
    const run = await tributaryTiming('q0', 3_000, undefined, 'memory', sink);
    assert.equal(run.sink, sink);
    assert.ok(run.events_per_core_sec > 0);
  }
});

test('a Flink JVM that fails is reported, not waited for', { skip, timeout: 120_000 }, async () => {
  const agreeFile = join(dir, 'agree-small.jsonl');
  await writeEventsFile(agreeFile, 100);
  const session = new FlinkSession(classpath!, 'q99', agreeFile, agreeFile, 1, undefined);
  try {
    await assert.rejects(session.rows(), (e: unknown) => e instanceof FlinkSessionError && e.code === 'FLINK_SESSION_FAILED' && /q99/.test(e.message));
  } finally {
    session.kill();
  }
});
