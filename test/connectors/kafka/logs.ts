// The logs the engine's tests run on, besides the embedded one: a real Apache Kafka cluster
// (test/support/kafka-cluster.ts; skipped, saying why, without Java/Maven) and `tributary broker`
// (the embedded log served over the Kafka protocol, started in this process). Helpers that
// write input and read output through the Log interface, so the checks are the same on every log.
import { kafka, visitRecords, type Log, type LogConnector } from '../../../src/connectors/index.js';
import { partitionForKey } from '../../../src/records/partitioner.js';
import type { RecordHeader } from '../../../src/records/record.js';
import { startTestBroker, tempDir } from '../../broker/helpers.js';
import { kafkaAvailable, startTestKafka } from '../../support/kafka-cluster.js';

export interface LogTarget {
  readonly name: 'kafka' | 'broker';
  /** node:test's skip: false, or why the target cannot run here. */
  readonly skip: false | string;
  /** Starts the target (once per file); returns its bootstrap servers. */
  start(): Promise<string>;
  stop(): Promise<void>;
}

export function kafkaTarget(brokers = 1): LogTarget {
  const avail = kafkaAvailable();
  let cluster: Awaited<ReturnType<typeof startTestKafka>> | undefined;
  return {
    name: 'kafka',
    skip: avail.ok ? false : `real-Kafka variant skipped: ${avail.why ?? 'java 17+ and mvn are needed'} (\`npm run kafka -- up\` needs them)`,
    async start() {
      cluster ??= await startTestKafka({ brokers });
      return cluster.bootstrap;
    },
    async stop() {
      await cluster?.stop();
      cluster = undefined;
    },
  };
}

export function brokerTarget(): LogTarget {
  let broker: Awaited<ReturnType<typeof startTestBroker>> | undefined;
  let dir: ReturnType<typeof tempDir> | undefined;
  return {
    name: 'broker',
    skip: false,
    async start() {
      if (!broker) {
        dir = tempDir('tributary-kbroker-');
        broker = await startTestBroker(dir.dir);
      }
      return `127.0.0.1:${broker.port}`;
    },
    async stop() {
      await broker?.close();
      dir?.cleanup();
      broker = undefined;
      dir = undefined;
    },
  };
}

/** Both targets; TRIBUTARY_LOG_TARGETS=kafka (or broker) runs one. */
export function targets(): LogTarget[] {
  const only = process.env.TRIBUTARY_LOG_TARGETS?.split(',');
  return [kafkaTarget(), brokerTarget()].filter((t) => !only || only.includes(t.name));
}

export interface In {
  key: string | null;
  value: string;
  timestamp: number;
  partition?: number;
}

/** Writes records with a plain producer, each to its key's partition (murmur2) unless given. */
export async function produceVia(log: Log, topic: string, records: readonly In[]): Promise<void> {
  const n = (await log.describeTopics([topic])).get(topic)!.partitions;
  const p = await log.producer();
  records.forEach((r, i) => {
    const key = r.key === null ? null : Buffer.from(r.key);
    p.send({ topic, partition: r.partition ?? (key ? partitionForKey(key, n) : i % n), timestamp: r.timestamp, key, value: Buffer.from(r.value), headers: [] });
  });
  await p.flush();
  await p.close();
}

export interface Out {
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: readonly RecordHeader[];
}

/** Every record of a topic up to its end now, read_committed by default, partition by partition in offset order. */
export async function readVia(log: Log, topic: string, isolation: 'read_committed' | 'read_uncommitted' = 'read_committed'): Promise<Out[]> {
  const info = (await log.describeTopics([topic])).get(topic);
  if (!info) return [];
  const tps = Array.from({ length: info.partitions }, (_, partition) => ({ topic, partition }));
  const [starts, ends] = await Promise.all([log.beginningOffsets(tps), log.endOffsets(tps, isolation)]);
  const byPartition: Out[][] = tps.map(() => []);
  const c = log.consumer({ isolation });
  try {
    c.assign(tps.map((tp, i) => ({ ...tp, offset: starts[i]! })));
    const done = () => tps.every((tp, i) => c.position(tp) >= ends[i]!);
    for (let idle = 0; !done() && idle < 50; ) {
      const fetched = await c.fetch(200);
      if (fetched.length === 0) idle++;
      for (const f of fetched) {
        const end = ends[f.partition]!;
        visitRecords(f, (o, ts, k, v, h) => {
          if (o >= end) return false;
          byPartition[f.partition]!.push({ partition: f.partition, offset: o, timestamp: ts, key: k && Buffer.from(k), value: v && Buffer.from(v), headers: h });
          return true;
        });
      }
    }
  } finally {
    c.close();
  }
  return byPartition.flat();
}

/** A connector for the bootstrap servers, and an admin Log for the test's own reads and writes. */
export async function open(bootstrap: string): Promise<{ connector: LogConnector; admin: Log }> {
  const connector = kafka({ brokers: bootstrap });
  return { connector, admin: await connector.connect() };
}
