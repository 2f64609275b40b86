// The engine's runtime semantics, run on the logs of the Kafka protocol: a real Apache Kafka
// cluster and `tributary broker`, through `kafka({ brokers })` (test/engine/runtime runs the same
// applications on the embedded log). Same applications, same references, same assertions.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ProducerFencedError, windowed, string, type Log } from '../../../src/index.js';
import { timeWindowReference, windowKey } from '../../engine/reference.js';
import { PARTITIONS, REF_OPTS, build, eventsOf, generate } from '../../engine/runtime/clicks.js';
import { tempDir } from '../../engine/runtime/helpers.js';
import { open, produceVia, readVia, targets } from './logs.js';

const count = (acc: number | undefined) => (acc ?? 0) + 1;

/**
 * The generated clicks carry 1970 event times: Kafka's time retention (7 days, by record
 * timestamp) would delete them, and the outputs, at its next check. Inputs and outputs are kept.
 */
function topicsKept(input: string, output: string, dlq: string) {
  const config = { 'retention.ms': -1 };
  return [input, output, dlq].map((name) => ({ name, partitions: PARTITIONS, config }));
}

async function resultsVia(log: Log, topic = 'counts'): Promise<{ map: Map<string, number>; n: number }> {
  const kd = windowed(string());
  const map = new Map<string, number>();
  const out = await readVia(log, topic);
  for (const r of out) {
    const w = kd.deserialize(r.key!);
    map.set(windowKey(w.key, w.start), JSON.parse(r.value!.toString()) as number);
  }
  return { map, n: out.length };
}

for (const target of targets()) {
  describe(`engine on ${target.name === 'kafka' ? 'a real Kafka cluster' : 'tributary broker'} via kafka({ brokers })`, { skip: target.skip }, () => {
    after(() => target.stop());

    test('bounded run: windowed count with keyBy equals the reference; internal topics with the right configs; a second run adds nothing', { timeout: 180_000 }, async () => {
      const { connector, admin } = await open(await target.start());
      const { dir, cleanup } = tempDir();
      try {
        await admin.createTopics(topicsKept('clicks', 'counts', 'wc-dlq'));
        const { records } = generate(4_000, 1);
        await produceVia(admin, 'clicks', records);
        const ref = timeWindowReference(eventsOf(records), REF_OPTS, count);
        const summary = await build('wc').run({ until: 'end', log: connector, stateDir: join(dir, 'state') });
        const got = await resultsVia(admin);
        assert.equal(got.n, ref.results.size, 'one result per window: nothing duplicated');
        assert.deepEqual(got.map, ref.results);
        assert.equal(summary.lateRecords, ref.late.length);
        assert.equal((await readVia(admin, 'wc-dlq')).length, ref.late.length, 'late records dead-lettered');
        assert.equal(summary.recordsIn['clicks'], records.length);
        const topics = await admin.describeTopics(['wc-clicks-keyBy-repartition']);
        const rep = topics.get('wc-clicks-keyBy-repartition');
        assert.ok(rep, 'the repartition topic was created');
        assert.equal(rep.partitions, PARTITIONS);
        assert.equal(rep.config['cleanup.policy'], 'delete');
        const all = await admin.describeTopics(build('wc').topology().changelogTopics);
        assert.ok(all.size >= 1, 'changelog topics exist');
        for (const [name, info] of all) assert.equal(info.config['cleanup.policy'], 'compact', name);
        const again = await build('wc').run({ until: 'end', log: connector, stateDir: join(dir, 'state') });
        assert.equal(again.recordsIn['clicks'] ?? 0, 0, 'the committed offsets were found');
        assert.equal((await resultsVia(admin)).n, ref.results.size);
      } finally {
        await admin.close();
        cleanup();
      }
    });

    test('continuous run with input arriving, closed, then a new instance finishes it: state restored from the changelogs, exactly the reference', { timeout: 180_000 }, async () => {
      const { connector, admin } = await open(await target.start());
      const { dir, cleanup } = tempDir();
      try {
        await admin.createTopics(topicsKept('clicks2', 'counts2', 'wc2-dlq'));
        const { records } = generate(3_000, 2);
        const ref = timeWindowReference(eventsOf(records), REF_OPTS, count);
        const options = { log: connector, stateDir: join(dir, 'state'), commitIntervalMs: 50 };
        const app = buildOn('clicks2', 'wc2');
        await app.start(options);
        const chunks = 4;
        const size = Math.ceil(records.length / chunks);
        for (let c = 0; c < chunks; c++) {
          await produceVia(admin, 'clicks2', records.slice(c * size, (c + 1) * size));
          await sleep(100);
        }
        const deadline = Date.now() + 60_000;
        while ((await resultsVia(admin, 'counts2')).n < ref.results.size / 2 && Date.now() < deadline) await sleep(200);
        const first = await app.close();
        assert.ok(first && first.commits > 0);
        assert.ok((await resultsVia(admin, 'counts2')).n >= ref.results.size / 2, 'windows were emitted while running');
        const second = await buildOn('clicks2', 'wc2').run({ ...options, until: 'end' });
        assert.ok(second.restoredRecords > 0, 'the second instance restored its windows from the changelogs');
        const got = await resultsVia(admin, 'counts2');
        assert.equal(got.n, ref.results.size, 'one result per window across both runs');
        assert.deepEqual(got.map, ref.results);
      } finally {
        await admin.close();
        cleanup();
      }
    });

    test('zombie: an instance paused mid-transaction while a replacement starts is fenced and commits nothing', { timeout: 180_000 }, async () => {
      const { connector, admin } = await open(await target.start());
      const { dir, cleanup } = tempDir();
      try {
        await admin.createTopics(topicsKept('clicks3', 'counts3', 'zz-dlq'));
        // Enough input that the zombie is still mid-stream at its third commit however fast it runs
        // (with 4,000 records a quick run sometimes ended first).
        const { records } = generate(12_000, 5);
        await produceVia(admin, 'clicks3', records);
        const ref = timeWindowReference(eventsOf(records), REF_OPTS, count);
        // localRepartition off: the zombie's open transaction is watched on the repartition topic.
        const options = { log: connector, stateDir: join(dir, 'state'), commitIntervalMs: 5, fetchMaxBytes: 8 * 1024, fetchMaxBytesPerPartition: 4 * 1024, maxBufferedBytes: 512, localRepartition: false };
        let commits = 0;
        const rep = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: 'zz-clicks3-keyBy-repartition', partition }));
        let release: (() => void) | undefined;
        let paused!: () => void;
        const pausedAt = new Promise<void>((r) => (paused = r));
        const zombieResult = buildOn('clicks3', 'zz')
          .run({
            ...options,
            until: 'end',
            beforeCommit: async () => {
              // Pause at the first commit (after the second) whose transaction holds appended data.
              if (++commits < 3 || release !== undefined) return;
              // Kafka writes the previous commit's markers after EndTxn returned: an LSO below the high watermark
              // may be those markers still pending, not this transaction's data. Look again once they are written.
              for (let look = 0; look < 2; look++) {
                if (look > 0) await new Promise((r) => setTimeout(r, 300));
                const [lso, hw] = await Promise.all([admin.endOffsets(rep, 'read_committed'), admin.endOffsets(rep, 'read_uncommitted')]);
                if (!hw.some((h, i) => h > lso[i]!)) return;
              }
              paused();
              await new Promise<void>((r) => (release = r)); // "SIGSTOP"
            },
          })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        await Promise.race([pausedAt, zombieResult.then(() => assert.fail('the zombie finished before it was paused'))]);
        const [stable, high] = await Promise.all([admin.endOffsets(rep, 'read_committed'), admin.endOffsets(rep, 'read_uncommitted')]);
        assert.ok(high.some((h, i) => h > stable[i]!), `the zombie has an open transaction with data (LSO ${stable}, HW ${high})`);
        const replacement = await buildOn('clicks3', 'zz').run({ ...options, until: 'end', commitIntervalMs: 50, maxBufferedBytes: 1 << 20 });
        assert.ok(replacement.commits > 0);
        release!(); // "SIGCONT"
        const error = await zombieResult;
        assert.ok(error instanceof ProducerFencedError, `the zombie is fenced: ${String(error)}`);
        const got = await resultsVia(admin, 'counts3');
        assert.equal(got.n, ref.results.size, 'nothing duplicated by the zombie');
        assert.deepEqual(got.map, ref.results);
        const uncommitted = (await readVia(admin, 'zz-clicks3-keyBy-repartition', 'read_uncommitted')).length;
        const committed = (await readVia(admin, 'zz-clicks3-keyBy-repartition')).length;
        assert.ok(uncommitted > committed, `the zombie's open transaction was aborted (${uncommitted} written, ${committed} committed)`);
      } finally {
        await admin.close();
        cleanup();
      }
    });

    test('at-least-once: same results, offsets committed outside transactions', { timeout: 180_000 }, async () => {
      const { connector, admin } = await open(await target.start());
      const { dir, cleanup } = tempDir();
      try {
        await admin.createTopics(topicsKept('clicks4', 'counts4', 'alo-dlq'));
        const { records } = generate(3_000, 3);
        await produceVia(admin, 'clicks4', records);
        const ref = timeWindowReference(eventsOf(records), REF_OPTS, count);
        const options = { until: 'end', log: connector, stateDir: join(dir, 'state'), processingGuarantee: 'at-least-once' } as const;
        await buildOn('clicks4', 'alo').run(options);
        const got = await resultsVia(admin, 'counts4');
        assert.equal(got.n, ref.results.size);
        assert.deepEqual(got.map, ref.results);
        assert.equal((await buildOn('clicks4', 'alo').run(options)).recordsIn['clicks4'] ?? 0, 0, 'offsets were committed');
      } finally {
        await admin.close();
        cleanup();
      }
    });
  });
}

/** clicks.ts's application on other topic names (one cluster serves every test of a file). */
function buildOn(input: string, applicationId: string) {
  const n = input.replace('clicks', '');
  return build(applicationId, { input, output: `counts${n}` });
}
