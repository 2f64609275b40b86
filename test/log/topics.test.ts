import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogManager } from '../../src/log/index.js';
import { memoryLogger, openLog, readAll, tempDir, valuesBatch } from './helpers.js';

test('topics, their configs and data persist across reopen', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  const created = await log.createTopic('orders', {
    partitions: 3,
    config: { 'cleanup.policy': 'compact', 'segment.bytes': '65536', 'retention.ms': -1 },
  });
  assert.equal(created.partitions.length, 3);
  await log.createTopic('clicks');
  for (let p = 0; p < 3; p++) await log.partition('orders', p).append(valuesBatch(`p${p}-`, p + 1));
  assert.deepEqual(log.listTopics(), ['clicks', 'orders']);
  const id = created.topicId;
  await log.close();
  assert.ok(existsSync(join(dir, '.clean-shutdown')));
  // Kafka's layout, with the producer-state snapshot a clean close writes at the log end offset.
  assert.deepEqual(readdirSync(join(dir, 'orders-2')).sort(), [
    '00000000000000000000.index',
    '00000000000000000000.log',
    '00000000000000000000.timeindex',
    '00000000000000000003.snapshot',
  ]);

  const again = await openLog(dir);
  assert.ok(!existsSync(join(dir, '.clean-shutdown')), 'marker removed while open');
  assert.deepEqual(again.listTopics(), ['clicks', 'orders']);
  const d = again.describeTopic('orders');
  assert.equal(d.topicId, id);
  assert.equal(d.config['cleanup.policy'], 'compact');
  assert.equal(d.config['segment.bytes'], 65536);
  assert.equal(d.config['retention.ms'], -1);
  assert.equal(d.config['segment.ms'], 7 * 24 * 3600 * 1000);
  assert.deepEqual(d.overrides, { 'cleanup.policy': 'compact', 'segment.bytes': 65536, 'retention.ms': -1 });
  assert.deepEqual(d.partitions.map((p) => p.logEndOffset), [1, 2, 3]);
  assert.deepEqual(d.partitions.map((p) => p.recoveryPoint), [1, 2, 3]);
  assert.deepEqual(readAll(again.partition('orders', 2)).map((r) => r.value), ['p2-0', 'p2-1', 'p2-2']);

  // Add partitions; they persist too.
  await again.createPartitions('orders', 5);
  await again.partition('orders', 4).append(valuesBatch('new', 1));
  await again.close();
  const third = await openLog(dir);
  assert.equal(third.describeTopic('orders').partitions.length, 5);
  assert.equal(third.partition('orders', 4).logEndOffset, 1);

  // Delete: gone now and after reopen; the name can be reused.
  await third.deleteTopic('orders');
  assert.deepEqual(third.listTopics(), ['clicks']);
  assert.ok(!existsSync(join(dir, 'orders-0')));
  await third.createTopic('orders');
  assert.equal(third.partition('orders', 0).logEndOffset, 0);
  assert.notEqual(third.describeTopic('orders').topicId, id);
  await third.close();
});

test('leftovers of interrupted admin operations are removed at open', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  await log.createTopic('keep');
  await log.close();
  // A create that crashed before its metadata file, a delete that crashed after it, a half rename.
  mkdirSync(join(dir, 'ghost-0'));
  writeFileSync(join(dir, 'ghost-0', '00000000000000000000.log'), '');
  mkdirSync(join(dir, 'keep-7'));
  mkdirSync(join(dir, 'gone-0.abc-delete'));
  writeFileSync(join(dir, 'topics', 'half.json.tmp'), '{');
  const logger = memoryLogger();
  const again = await LogManager.open({ dataDir: dir, logger });
  assert.deepEqual(again.listTopics(), ['keep']);
  assert.ok(!existsSync(join(dir, 'ghost-0')));
  assert.ok(!existsSync(join(dir, 'keep-7')));
  assert.ok(!existsSync(join(dir, 'gone-0.abc-delete')));
  assert.ok(!existsSync(join(dir, 'topics', 'half.json.tmp')));
  assert.ok(existsSync(join(dir, 'keep-0')));
  assert.ok(logger.lines.some((l) => l.includes('ghost-0')));
  await again.close();
});

test('one LogManager per data directory', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  await assert.rejects(openLog(dir), { code: 'KAFKA_STORAGE_ERROR' });
  await log.close();
  const again = await openLog(dir);
  await again.close();
});

test('a corrupt topic metadata file stops the open instead of deleting data', async (t) => {
  const { dir, cleanup } = tempDir();
  t.after(cleanup);
  const log = await openLog(dir);
  await log.createTopic('precious');
  await log.partition('precious', 0).append(valuesBatch('v', 1));
  await log.close();
  writeFileSync(join(dir, 'topics', 'precious.json'), '{"name": ');
  await assert.rejects(openLog(dir), { code: 'KAFKA_STORAGE_ERROR' });
  assert.ok(existsSync(join(dir, 'precious-0', '00000000000000000000.log')));
});
