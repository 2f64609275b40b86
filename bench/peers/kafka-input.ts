/**
 * What the Kafka-based peers (Kafka Streams, @kafkats/flow) share with Tributary's side of the
 * comparison: the events topic on a real Kafka broker and Tributary's run on it.
 *
 *  - produceEvents: the first N events of the generator (defaults, as `--source log` writes them:
 *    the same JSON bytes, null keys, timestamp = the event's dateTime) into a one-partition topic,
 *    with Tributary's own Kafka producer (plain, not transactional: the topic ends at offset N).
 *  - runTributaryOnKafka: the query on `kafka({ brokers })` reading that topic, in a child process
 *    (tributary-kafka-child.ts), optionally pinned with taskset; events per CPU-second from the
 *    child's process.cpuUsage() over app.run({ until: 'end' }).
 *  - lastEventTime: the dateTime of the last of N events (the agreement's window horizon).
 *  - withKafka: the broker given (--bootstrap), else a one-broker cluster of its own.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kafka } from '../../src/index.js';
import { kafkaAvailable, startTestKafka } from '../../test/support/kafka-cluster.js';
import { JsonEventBatch, NexmarkGenerator } from '../nexmark/generator.js';
import type { KafkaRunExchange, TributaryKafkaRun } from './tributary-kafka-run.js';

const here = dirname(fileURLToPath(import.meta.url));

export class PeerRunError extends Error {
  readonly code = 'PEER_RUN_FAILED';
}

/** Creates `topic` (one partition, kept forever) and writes the first `count` events into it. */
export async function produceEvents(bootstrap: string, topic: string, count: number): Promise<void> {
  const log = await kafka({ brokers: bootstrap, clientId: 'tributary-bench-peers' }).connect();
  try {
    await log.createTopics([{ name: topic, partitions: 1, config: { 'retention.ms': -1 } }]);
    const producer = await log.producer();
    const gen = new NexmarkGenerator({ numEvents: count });
    const batch = new JsonEventBatch(4096);
    while (gen.fillJson(batch) > 0) {
      for (let i = 0; i < batch.count; i++) {
        producer.send({ topic, partition: 0, timestamp: batch.timestamps[i]!, key: null, value: Buffer.from(batch.value(i)), headers: [] });
      }
      await producer.flush();
    }
    const [end] = await log.endOffsets([{ topic, partition: 0 }], 'read_uncommitted');
    if (end !== count) throw new PeerRunError(`${topic} holds ${end} events, expected ${count}`);
  } finally {
    await log.close();
  }
}

/** The event time of the last of the first `count` events. */
export function lastEventTime(count: number): number {
  const gen = new NexmarkGenerator({ numEvents: count });
  const batch = new JsonEventBatch(4096);
  let last = 0;
  while (gen.fillJson(batch) > 0) last = batch.timestamps[batch.count - 1]!;
  return last;
}

export type { KafkaRunExchange, TributaryKafkaRun };

/**
 * Tributary runs `query` over the events topic on Kafka into `output`, in a child process; its
 * keyBy records go as kafkaRunExchange(query) says unless `exchange` is given.
 */
export async function runTributaryOnKafka(bootstrap: string, input: string, query: string, output: string, appId: string, cpu?: string, exchange?: KafkaRunExchange): Promise<TributaryKafkaRun> {
  // The output topic is made here, kept forever: its records carry the events' times (2015),
  // which time-based retention would delete before the agreement check reads them.
  const log = await kafka({ brokers: bootstrap, clientId: 'tributary-bench-peers' }).connect();
  try {
    await log.createTopics([{ name: output, partitions: 1, config: { 'retention.ms': -1 } }]);
  } finally {
    await log.close();
  }
  const node = [process.execPath, '--import', 'tsx', join(here, 'tributary-kafka-child.ts'), bootstrap, input, query, output, appId, ...(exchange ? [exchange] : [])];
  const r = cpu ? spawnSync('taskset', ['-c', cpu, ...node], { encoding: 'utf8' }) : spawnSync(node[0]!, node.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new PeerRunError(`tributary ${query} on Kafka failed (${r.status}): ${(r.stderr ?? '').trim().split('\n').slice(-6).join(' | ')}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as TributaryKafkaRun;
}

/**
 * Runs `fn` against `bootstrap` when given, else against a one-broker Kafka cluster of its own
 * (scripts/kafka: free ports, a run dir under the OS temp dir), stopped afterwards.
 */
export async function withKafka<T>(bootstrap: string | undefined, log: (line: string) => void, fn: (bootstrap: string) => Promise<T>): Promise<T> {
  if (bootstrap) return fn(bootstrap);
  const avail = kafkaAvailable();
  if (!avail.ok) throw new PeerRunError(`no Kafka for the Kafka peers: ${avail.why ?? 'java/mvn missing'} (or pass --bootstrap host:port)`);
  log('starting a one-broker Kafka cluster (scripts/kafka) ...');
  const kafkaCluster = await startTestKafka({ brokers: 1 });
  try {
    return await fn(kafkaCluster.bootstrap);
  } finally {
    await kafkaCluster.stop();
  }
}
