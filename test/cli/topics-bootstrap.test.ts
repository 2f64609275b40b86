// `tributary topics ... --bootstrap`: the topics of a running `tributary broker` over the Kafka
// protocol (its data directory is locked by the broker, so the data-directory path cannot reach it),
// with the same output and the same Kafka error codes as on the data directory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafka } from '../../src/connectors/index.js';
import { EXIT_FAILURE, EXIT_UNAVAILABLE } from '../../src/cli/exit-codes.js';
import { kafkaTarget } from '../connectors/kafka/logs.js';
import { runCli } from './run-cli.js';
import { startCliBroker } from './run-cli-process.js';

interface Described {
  name: string;
  topicId: string;
  partitions: Array<{ partition: number; logStartOffset: number; logEndOffset: number; highWatermark: number; sizeBytes: number | null; segments: number | null }>;
  config: Record<string, string>;
}

/** Creates, lists, describes and deletes topics of the broker at `bootstrap` through the CLI. */
async function exercise(bootstrap: string): Promise<void> {
  const topics = (...args: string[]) => runCli(['topics', ...args, '--bootstrap', bootstrap]);

  const created = await topics('create', 'clicks', '--partitions', '3', '--config', 'cleanup.policy=compact', '--config', 'retention.ms=-1');
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, 'Created topic clicks with 3 partition(s).\n');
  await topics('create', 'views');

  const again = await topics('create', 'clicks');
  assert.equal(again.code, EXIT_FAILURE);
  assert.match(again.stderr, /^error: TOPIC_ALREADY_EXISTS: /);

  const listed = await topics('list', '--json');
  assert.equal(listed.code, 0, listed.stderr);
  // Only this test's topics (a broker may hold others).
  const ours = (out: string): string[] => (JSON.parse(out) as string[]).filter((n) => n === 'clicks' || n === 'views');
  assert.deepEqual(ours(listed.stdout), ['clicks', 'views']);

  // Records in partitions 0 and 2: describe reports each partition's end offset.
  const log = await kafka({ brokers: bootstrap }).connect();
  try {
    const producer = await log.producer();
    for (const [partition, n] of [[0, 5], [2, 2]] as const) {
      for (let i = 0; i < n; i++) producer.send({ topic: 'clicks', partition, timestamp: Date.now(), key: Buffer.from(`k${i}`), value: Buffer.from('v'), headers: [] });
    }
    await producer.flush();
    await producer.close();
  } finally {
    await log.close();
  }
  const described = await topics('describe', 'clicks', '--json');
  assert.equal(described.code, 0, described.stderr);
  const d = JSON.parse(described.stdout) as Described;
  assert.equal(d.name, 'clicks');
  assert.ok(d.topicId.length > 0);
  assert.deepEqual(d.partitions.map((p) => [p.partition, p.logStartOffset, p.logEndOffset, p.sizeBytes]), [[0, 0, 5, null], [1, 0, 0, null], [2, 0, 2, null]]);
  // Only the topic's own overrides, not every broker default.
  assert.deepEqual(d.config, { 'cleanup.policy': 'compact', 'retention.ms': '-1' });
  const text = await topics('describe', 'clicks');
  assert.match(text.stdout, /^Topic: clicks\tTopicId: \S+\tPartitionCount: 3\tConfigs: /);
  assert.match(text.stdout, /\tPartition: 0\tStartOffset: 0\tEndOffset: 5\n/);

  for (const args of [['describe', 'nope'], ['delete', 'nope']]) {
    const r = await topics(...args);
    assert.equal(r.code, EXIT_FAILURE, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^error: UNKNOWN_TOPIC_OR_PARTITION: /, args.join(' '));
  }

  const deleted = await topics('delete', 'clicks');
  assert.equal(deleted.code, 0, deleted.stderr);
  assert.deepEqual(ours((await topics('list', '--json')).stdout), ['views']);

}

test('topics --bootstrap on tributary broker: create, list, describe and delete; refused requests keep their Kafka code; a broker gone is BROKER_NOT_AVAILABLE', { timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-cli-topics-bootstrap-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { broker, bootstrap } = await startCliBroker(t, join(dir, 'broker'));
  await exercise(bootstrap);
  broker.kill('SIGTERM');
  await broker.exited;
  // The broker is gone: a clear error and the "unavailable" exit code, not a stack trace.
  const down = await runCli(['topics', 'list', '--bootstrap', bootstrap]);
  assert.equal(down.code, EXIT_UNAVAILABLE, down.stderr);
  assert.match(down.stderr, /^error: BROKER_NOT_AVAILABLE: cannot reach 127\.0\.0\.1:\d+/);
});

const onKafka = kafkaTarget();
test('topics --bootstrap on a real Kafka cluster: the same', { timeout: 600_000, skip: onKafka.skip }, async (t) => {
  t.after(() => onKafka.stop());
  await exercise(await onKafka.start());
});
