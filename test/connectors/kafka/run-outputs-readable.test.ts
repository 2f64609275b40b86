// run({ until: 'end' }) resolves once its outputs are readable: Kafka writes a transaction's
// markers after EndTxn returns, so until then a read_committed reader stops at the last stable
// offset, below the last commit's records. This is what made scale-out.test.ts miss its last
// window results on a loaded machine ("247 !== 250": results read at once after the final run,
// 3 windows not yet visible). Each round checks, the moment run() resolved, that the output's
// last stable offset is its high watermark; several rounds, because without the wait the markers
// are only sometimes late (most often under load).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { StreamsApp, json, string, tumbling } from '../../../src/index.js';
import { tempDir } from '../../engine/runtime/helpers.js';
import { open, produceVia, targets, type In } from './logs.js';

const PARTITIONS = 4;
const ROUNDS = 8;

function build(app: string): StreamsApp {
  const a = new StreamsApp({ applicationId: app });
  a.stream(`${app}-in`, { key: string(), value: json<{ ts: number }>(), timestamp: (v) => v.ts })
    .groupByKey()
    .window(tumbling('1s'))
    .count()
    .toStream()
    .to(`${app}-out`, { value: json() });
  return a;
}

for (const target of targets()) {
  describe(`a bounded run's outputs are readable when run() resolves, on ${target.name === 'kafka' ? 'a real Kafka cluster' : 'tributary broker'}`, { skip: target.skip }, () => {
    after(() => target.stop());
    test(`${ROUNDS} bounded runs, each read at once`, { timeout: 300_000 }, async () => {
      const { connector, admin } = await open(await target.start());
      const { dir, cleanup } = tempDir();
      try {
        for (let round = 0; round < ROUNDS; round++) {
          // A new application each round: a bounded run's end (+∞ watermark) is part of its committed state.
          const app = `visible-${round}`;
          await admin.createTopics([`${app}-in`, `${app}-out`].map((name) => ({ name, partitions: PARTITIONS })));
          const tps = Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: `${app}-out`, partition }));
          const records: In[] = [];
          for (let k = 0; k < 40; k++) records.push({ key: `k${k}`, value: JSON.stringify({ ts: k }), timestamp: k });
          await produceVia(admin, `${app}-in`, records);
          await build(app).run({ log: connector, stateDir: join(dir, app), instanceId: 'fin', until: 'end' });
          const [stable, high] = await Promise.all([admin.endOffsets(tps, 'read_committed'), admin.endOffsets(tps, 'read_uncommitted')]);
          assert.deepEqual(stable, high, `round ${round}: every committed output record is readable (last stable offset = high watermark)`);
          // 40 window results and one commit marker per partition written to.
          assert.ok(high.reduce((a, b) => a + b, 0) >= 40, `round ${round}: the run wrote its 40 window results`);
        }
      } finally {
        await admin.close();
        cleanup();
      }
    });
  });
}
