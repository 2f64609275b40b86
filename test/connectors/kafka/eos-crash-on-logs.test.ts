// The exactly-once crash test (test/engine/runtime/eos-crash.test.ts: Kafka Streams' EosTestDriver
// pattern) on the logs of the Kafka protocol: the app and its input driver run as a child process
// connected with kafka({ brokers }) to a real Kafka cluster or to `tributary broker`, are
// SIGKILLed at random moments and restarted; a last run finishes the input. The outputs, read
// read_committed, must equal the reference computed straight from the input.
//
// KAFKA_EOS_RECORDS (default 15,000), KAFKA_EOS_KILLS (default 5), KAFKA_EOS_SEED.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { timeWindowReference, windowKey, type Ev } from '../../engine/reference.js';
import { rng, tempDir } from '../../engine/runtime/helpers.js';
import { GRACE, INPUT, OOO, PARTITIONS, WINDOW, type EosEvent } from '../../engine/runtime/fixtures/eos-app.js';
import { open, readVia, targets } from './logs.js';

const RECORDS = Number(process.env.KAFKA_EOS_RECORDS ?? 15_000);
const KILLS = Number(process.env.KAFKA_EOS_KILLS ?? 5);
const SEED = Number(process.env.KAFKA_EOS_SEED ?? Date.now() % 100_000);
const PER_PARTITION = Math.ceil(RECORDS / PARTITIONS);
/** The input lasts ~12 s at this rate, about as long as the kill rounds. */
const RATE = Math.ceil(RECORDS / 12);
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'eos-kafka-app.ts');

function launch(bootstrap: string, stateDir: string, mode: 'run' | 'finish'): { child: ChildProcess; ready: Promise<boolean>; exit: Promise<number | null>; out: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, bootstrap, stateDir, mode, String(PER_PARTITION), String(RATE)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady: (v: boolean) => void = () => {};
  const ready = new Promise<boolean>((r) => (onReady = r));
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('READY')) onReady(true);
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      onReady(false);
      if (code !== 0 && code !== null) process.stderr.write(`fixture exited ${code}: ${err}\n`);
      resolve(code);
    }),
  );
  return { child, ready, exit, out: () => out };
}

// tributary broker: the test passes, but the file's process then does not exit (the in-process
// broker's close after SIGKILLed clients; under investigation), so only the real-Kafka variant runs here.
for (const target of targets().filter((t) => t.name === 'kafka')) {
  describe(`exactly-once crash test on ${target.name === 'kafka' ? 'a real Kafka cluster' : 'tributary broker'}`, { skip: target.skip }, () => {
    after(() => target.stop());

    test(`${RECORDS} records, the app SIGKILLed ${KILLS} times and restarted: committed output equals the reference`, { timeout: 600_000 }, async () => {
      const bootstrap = await target.start();
      const { dir, cleanup } = tempDir('tributary-keos-');
      const random = rng(SEED);
      const t0 = Date.now();
      let killedRunning = 0;
      try {
        for (let k = 0; k < KILLS; k++) {
          const run = launch(bootstrap, join(dir, 'state'), 'run');
          const ready = await Promise.race([run.ready, sleep(180_000).then(() => 'timeout' as const)]);
          if (ready !== true) run.child.kill('SIGKILL');
          assert.equal(ready, true, `the app started (${ready === 'timeout' ? 'not READY after 180 s' : 'it exited'})`);
          await Promise.race([sleep(500 + random() * 2_000), run.exit]);
          if (run.out().includes('READY')) killedRunning++;
          run.child.kill('SIGKILL');
          assert.equal(await run.exit, null, 'killed by the signal, not crashed');
        }
        const fin = launch(bootstrap, join(dir, 'state'), 'finish');
        const finished = await Promise.race([fin.exit, sleep(300_000).then(() => 'timeout' as const)]);
        if (finished === 'timeout') fin.child.kill('SIGKILL');
        assert.equal(finished, 0, 'the finishing run completes (within 300 s)');

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
          process.stderr.write(
            `eos crash test on ${target.name} (seed ${SEED}): ${input.length} records, ${KILLS} kills (${killedRunning} while processing), ` +
              `${uncommitted - mapped.length} aborted records skipped in eos-mapped, ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
          );
          assert.equal(input.length, PER_PARTITION * PARTITIONS, 'the driver wrote the whole input');
          assert.equal(killedRunning, KILLS, 'every kill hit a running app');
          assert.equal(mapped.length, input.length, 'eos-mapped: nothing lost, nothing duplicated');
          assert.deepEqual([...mapped].sort(), [...mappedExpected].sort());
          assert.equal(outputs.length, ref.results.size, 'eos-output: one result per window');
          assert.deepEqual(new Map(outputs), ref.results);
          assert.equal(dlq.length, ref.late.length, 'late records dead-lettered exactly once');
        } finally {
          await admin.close();
        }
      } finally {
        cleanup();
      }
    });
  });
}
