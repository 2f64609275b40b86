// The exactly-once crash test (test/engine/runtime/eos-crash.test.ts: Kafka Streams' EosTestDriver
// pattern) on the logs of the Kafka protocol: the app and its input driver run as a child process
// connected with kafka({ brokers }) to a real Kafka cluster or to `tributary broker`, are
// SIGKILLed at random moments and restarted; a last run finishes the input. The outputs, read
// read_committed, must equal the reference computed straight from the input.
//
// KAFKA_EOS_RECORDS (default 15,000), KAFKA_EOS_KILLS (default 5), KAFKA_EOS_SEED.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { rng, tempDir } from '../../engine/runtime/helpers.js';
import { PARTITIONS, finishRun, killRun, launchReady, verifyEosOutputs } from './eos-crash-run.js';
import { targets } from './logs.js';

const RECORDS = Number(process.env.KAFKA_EOS_RECORDS ?? 15_000);
const KILLS = Number(process.env.KAFKA_EOS_KILLS ?? 5);
const SEED = Number(process.env.KAFKA_EOS_SEED ?? Date.now() % 100_000);
const PER_PARTITION = Math.ceil(RECORDS / PARTITIONS);
/** The input lasts ~12 s at this rate, about as long as the kill rounds. */
const RATE = Math.ceil(RECORDS / 12);

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
          const run = await launchReady(bootstrap, join(dir, 'state'), PER_PARTITION, RATE);
          await Promise.race([sleep(500 + random() * 2_000), run.exit]);
          if (run.out().includes('READY')) killedRunning++;
          await killRun(run);
        }
        await finishRun(bootstrap, join(dir, 'state'), PER_PARTITION);
        const v = await verifyEosOutputs(bootstrap, PER_PARTITION);
        process.stderr.write(
          `eos crash test on ${target.name} (seed ${SEED}): ${v.inputRecords} records, ${KILLS} kills (${killedRunning} while processing), ` +
            `${v.abortedSkipped} aborted records skipped in eos-mapped, ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
        );
        assert.equal(killedRunning, KILLS, 'every kill hit a running app');
      } finally {
        cleanup();
      }
    });
  });
}
