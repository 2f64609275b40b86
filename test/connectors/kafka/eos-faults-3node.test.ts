// Exactly-once under faults on a 3-node Apache Kafka cluster (replication factor 3, min ISR 2):
// the engine's crash test (eos-crash-run.ts: stateless map + repartition + windowed sum per key)
// runs as a child process on kafka({ brokers }) with all three bootstrap addresses, while
//   - the application is SIGKILLed and restarted KAFKA_FAULTS_APP_KILLS times (at least 3), and
//   - one Kafka node (the group coordinator of the application, so offsets, leaders of data
//     partitions and, for some transactional ids, the transaction coordinator all move) is
//     SIGKILLed mid-run and restarted later: the app must keep committing while it is down
//     (leader changes, NOT_LEADER_OR_FOLLOWER, coordinator moves), start with it down, and
//     keep committing after it is back.
// Then a last run finishes the input, and the verifier reads the outputs read_committed: they
// must equal the reference computed straight from the input (nothing lost, nothing duplicated).
//
// KAFKA_FAULTS_RECORDS (default 6,000), KAFKA_FAULTS_APP_KILLS (default 4), KAFKA_FAULTS_SEED.
// Skipped, saying why, without java 17+ and mvn.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Log } from '../../../src/connectors/index.js';
import { COORDINATOR_GROUP } from '../../../src/connectors/kafka/client.js';
import type { KafkaLog } from '../../../src/connectors/kafka/index.js';
import { rng, tempDir } from '../../engine/runtime/helpers.js';
import { APP_ID, INPUT } from '../../engine/runtime/fixtures/eos-app.js';
import { kafkaAvailable, startTestKafka, type TestKafka } from '../../support/kafka-cluster.js';
import { PARTITIONS, finishRun, killRun, launchReady, verifyEosOutputs, type EosRun } from './eos-crash-run.js';
import { open } from './logs.js';

const RECORDS = Number(process.env.KAFKA_FAULTS_RECORDS ?? 6_000);
const APP_KILLS = Math.max(3, Number(process.env.KAFKA_FAULTS_APP_KILLS ?? 4));
const SEED = Number(process.env.KAFKA_FAULTS_SEED ?? Date.now() % 100_000);
const PER_PARTITION = Math.ceil(RECORDS / PARTITIONS);
/** The input lasts ~30 s of running app at this rate: longer than the rounds that need input to flow. */
const RATE = Math.ceil(RECORDS / 30);
/** How long a round waits for the app to commit more (generous: the machine is shared, and a dead node is noticed after Kafka's 9 s broker session timeout). */
const PROGRESS_TIMEOUT_MS = 150_000;

const avail = kafkaAvailable();
const skip = avail.ok ? false : `3-node Kafka fault test skipped: ${avail.why ?? 'java 17+ and mvn are needed'}`;

/** Input records the app has committed as consumed (its group's committed offsets on the input). */
async function committedInput(admin: Log): Promise<number> {
  const tps = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: INPUT, partition }));
  const offsets = await admin.committedOffsets(APP_ID, tps);
  return offsets.reduce((sum, o) => sum + Math.max(0, o), 0);
}

/** Waits until the app commits beyond `from` (or has committed the whole input); fails if the run died or never does. */
async function awaitProgress(admin: Log, run: EosRun, from: number, what: string): Promise<number> {
  const deadline = Date.now() + PROGRESS_TIMEOUT_MS;
  for (;;) {
    assert.equal(run.child.exitCode, null, `${what}: the app is still running`);
    const now = await committedInput(admin);
    if (now > from || now === PER_PARTITION * PARTITIONS) return now;
    assert.ok(Date.now() < deadline, `${what}: the app committed nothing past ${from} input records in ${PROGRESS_TIMEOUT_MS / 1000} s`);
    await sleep(250);
  }
}

function assertNoFailure(run: EosRun, what: string): void {
  assert.doesNotMatch(run.err(), /app failed|driver failed/, `${what}: the app and its driver report no failure`);
}

describe('exactly-once under faults on a 3-node Kafka cluster', { skip }, () => {
  let cluster: TestKafka | undefined;
  after(() => cluster?.stop());

  test(
    `${RECORDS} records; the app SIGKILLed ${APP_KILLS} times, one Kafka node SIGKILLed and restarted mid-run: committed output equals the reference`,
    { timeout: 900_000 },
    async () => {
      cluster = await startTestKafka({ brokers: 3 });
      const bootstrap = cluster.bootstrap;
      assert.equal(bootstrap.split(',').length, 3, 'the app gets all three bootstrap addresses');
      const { dir, cleanup } = tempDir('tributary-keos3-');
      const stateDir = join(dir, 'state');
      const random = rng(SEED);
      const t0 = Date.now();
      const { admin } = await open(bootstrap);
      const log: string[] = [];
      const note = (s: string): void => {
        log.push(`${((Date.now() - t0) / 1000).toFixed(1)} s ${s}`);
      };
      let victim = 0;
      try {
        for (let k = 0; k < APP_KILLS; k++) {
          const run = await launchReady(bootstrap, stateDir, PER_PARTITION, RATE);
          note(`run ${k + 1} ready`);
          let committed = await committedInput(admin);
          if (k === 1) {
            // Kill the node that coordinates the app's group (it also leads some data partitions).
            committed = await awaitProgress(admin, run, committed, 'before the node kill');
            victim = (await (admin as KafkaLog).client.coordinator(COORDINATOR_GROUP, APP_ID)).nodeId;
            const pid = await cluster.killNode(victim);
            note(`node ${victim} (pid ${pid}) SIGKILLed at ${committed} committed input records`);
            committed = await awaitProgress(admin, run, committed, `with node ${victim} down`);
            note(`committed ${committed} with node ${victim} down`);
          } else if (k === 2) {
            // This run started with the node down; bring it back while the app runs.
            committed = await awaitProgress(admin, run, committed, `started with node ${victim} down`);
            note(`committed ${committed} having started with node ${victim} down`);
            await cluster.restartNodes();
            note(`node ${victim} restarted`);
            committed = await awaitProgress(admin, run, committed, `after node ${victim} restarted`);
            note(`committed ${committed} after the restart`);
          } else {
            await Promise.race([sleep(1_000 + random() * 2_000), run.exit]);
          }
          assertNoFailure(run, `run ${k + 1}`);
          await killRun(run);
          note(`run ${k + 1} SIGKILLed`);
        }
        await finishRun(bootstrap, stateDir, PER_PARTITION);
        note('finishing run done');
        const v = await verifyEosOutputs(bootstrap, PER_PARTITION);
        process.stderr.write(
          `3-node fault test (seed ${SEED}): ${v.inputRecords} records, ${v.windows} windows, ${APP_KILLS} app kills, node ${victim} killed and restarted, ` +
            `${v.abortedSkipped} aborted records skipped, ${((Date.now() - t0) / 1000).toFixed(1)} s\n  ${log.join('\n  ')}\n`,
        );
      } catch (e) {
        process.stderr.write(`3-node fault test (seed ${SEED}) failed; timeline:\n  ${log.join('\n  ')}\n`);
        throw e;
      } finally {
        await admin.close();
        cleanup();
      }
    },
  );
});
