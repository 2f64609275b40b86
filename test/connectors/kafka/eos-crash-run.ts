// The parts of the exactly-once crash test on a Kafka-protocol log that its variants share
// (eos-crash-on-logs.test.ts: app kills; eos-faults-3node.test.ts: app kills plus a Kafka node
// killed and restarted): launching the app fixture (fixtures/eos-kafka-app.ts) as a child process,
// and the verifier, which reads the outputs read_committed and checks them against the reference
// computed straight from the input topic.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { timeWindowReference, windowKey, type Ev } from '../../engine/reference.js';
import { GRACE, INPUT, OOO, PARTITIONS, WINDOW, type EosEvent } from '../../engine/runtime/fixtures/eos-app.js';
import { spawnFixture, type FixtureProcess } from '../../support/fixture-process.js';
import { open, readVia } from './logs.js';

export { PARTITIONS };

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'eos-kafka-app.ts');

export type EosRun = FixtureProcess;

/**
 * Starts the app and its input driver as a child process: `run` drives `perPartition` records per
 * partition at `rate` records/s (resuming where the input topic ends) until killed; `finish`
 * writes the rest and runs to the end of the input.
 */
export function launchEosApp(bootstrap: string, stateDir: string, mode: 'run' | 'finish', perPartition: number, rate: number): EosRun {
  return spawnFixture(FIXTURE, [bootstrap, stateDir, mode, String(perPartition), String(rate)]);
}

/** Launches a `run` and waits (up to timeoutMs) for READY; fails the test (killing the child) if it never comes. */
export async function launchReady(bootstrap: string, stateDir: string, perPartition: number, rate: number, timeoutMs = 180_000): Promise<EosRun> {
  const run = launchEosApp(bootstrap, stateDir, 'run', perPartition, rate);
  const ready = await Promise.race([run.ready, sleep(timeoutMs).then(() => 'timeout' as const)]);
  if (ready !== true) run.child.kill('SIGKILL');
  assert.equal(ready, true, `the app started (${ready === 'timeout' ? `not READY after ${timeoutMs / 1000} s` : 'it exited'})`);
  return run;
}

/** SIGKILLs a run and checks that the signal (not a crash) ended it. */
export async function killRun(run: EosRun): Promise<void> {
  run.child.kill('SIGKILL');
  assert.equal(await run.exit, null, 'killed by the signal, not crashed');
}

/** The last run: writes the rest of the input and processes everything; must exit 0 within timeoutMs. */
export async function finishRun(bootstrap: string, stateDir: string, perPartition: number, timeoutMs = 300_000): Promise<void> {
  const fin = launchEosApp(bootstrap, stateDir, 'finish', perPartition, 0);
  const finished = await Promise.race([fin.exit, sleep(timeoutMs).then(() => 'timeout' as const)]);
  if (finished === 'timeout') fin.child.kill('SIGKILL');
  assert.equal(finished, 0, `the finishing run completes (within ${timeoutMs / 1000} s)`);
}

export interface EosVerdict {
  inputRecords: number;
  /** Records of aborted transactions in eos-mapped that read_committed skipped. */
  abortedSkipped: number;
  windows: number;
}

/**
 * Reads the input and the outputs and asserts: the whole input was written once; eos-mapped holds
 * each input record mapped exactly once; eos-output one result per window equal to the reference;
 * the dead-letter topic each late record once.
 */
export async function verifyEosOutputs(bootstrap: string, perPartition: number): Promise<EosVerdict> {
  const { admin } = await open(bootstrap);
  try {
    const input = await readVia(admin, INPUT, 'read_uncommitted');
    const events: Ev[] = [];
    const mappedExpected: string[] = [];
    for (const r of input) {
      const e = JSON.parse(r.value!.toString()) as EosEvent;
      events.push({ key: e.g, ts: e.ts, n: e.v, partition: r.partition });
      mappedExpected.push(`${r.key!.toString()}|${JSON.stringify({ ...e, v: e.v * 2 })}`);
    }
    const ref = timeWindowReference(events, { size: WINDOW, grace: GRACE, ooo: OOO }, (acc, e) => (acc ?? 0) + e.n);
    const outputs = (await readVia(admin, 'eos-output')).map((r) => {
      const [start, sum] = r.value!.toString().split(':');
      return [windowKey(r.key!.toString(), Number(start)), Number(sum)] as const;
    });
    const mapped = (await readVia(admin, 'eos-mapped')).map((r) => `${r.key!.toString()}|${r.value!.toString()}`);
    const uncommitted = (await readVia(admin, 'eos-mapped', 'read_uncommitted')).length;
    const dlq = await readVia(admin, 'eos-dlq');
    assert.equal(input.length, perPartition * PARTITIONS, 'the driver wrote the whole input, once');
    assert.equal(mapped.length, input.length, 'eos-mapped: nothing lost, nothing duplicated');
    assert.deepEqual([...mapped].sort(), [...mappedExpected].sort());
    assert.equal(outputs.length, ref.results.size, 'eos-output: one result per window');
    assert.deepEqual(new Map(outputs), ref.results);
    assert.equal(dlq.length, ref.late.length, 'late records dead-lettered exactly once');
    return { inputRecords: input.length, abortedSkipped: uncommitted - mapped.length, windows: ref.results.size };
  } finally {
    await admin.close();
  }
}
