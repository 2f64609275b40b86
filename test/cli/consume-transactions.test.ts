import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogManager, silentLogger } from '../../src/log/index.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { runCli } from './run-cli.js';

test('consume prints committed records only: aborted transactions and markers are skipped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-cli-txn-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const log = await LogManager.open({ dataDir: dir, logger: silentLogger });
  await log.createTopic('orders');
  const part = log.partition('orders', 0);
  const coordinator = await log.transactionCoordinator();
  const { producerId, producerEpoch } = await coordinator.initProducerId('cli-test', 60_000);
  let seq = 0;
  const txn = async (values: string[], commit: boolean) => {
    await coordinator.addPartitions('cli-test', producerId, producerEpoch, [{ topic: 'orders', partition: 0 }]);
    await part.append(
      encodeRecordBatch({
        records: values.map((v) => ({ key: Buffer.from('k'), value: Buffer.from(v) })),
        producerId,
        producerEpoch,
        baseSequence: seq,
        transactional: true,
      }),
    );
    seq += values.length;
    await coordinator.endTxn('cli-test', producerId, producerEpoch, commit);
  };
  await part.append(encodeRecordBatch({ records: [{ value: Buffer.from('plain') }] }));
  await txn(['c1', 'c2'], true);
  await txn(['a1', 'a2', 'a3'], false);
  await txn(['c3'], true);
  await log.close();

  const r = await runCli(['-d', dir, 'consume', 'orders', '--from-beginning']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['plain', 'c1', 'c2', 'c3']);
});
