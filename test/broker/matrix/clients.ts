import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Admin, Consumer as PlatformaticConsumer, Producer as PlatformaticProducer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { CompressionTypes, Kafka, logLevel } from 'kafkajs';
import type { Compression } from '../../../src/records/index.js';
import { eventually, pythonModuleExists, run } from '../helpers.js';
import type { ConsumedRecord, GroupMember, MatrixClient, ProducedRecord } from './driver.js';

/** The five real clients of the matrix, each as an adapter of the same small interface. */

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));
const SESSION_TIMEOUT_MS = 10_000;
const HEARTBEAT_MS = 500;

function checked(what: string, r: { code: number | null; signal: string | null; stderr: string }): void {
  if (r.code !== 0) throw new Error(`${what} exited with ${r.code ?? r.signal}: ${r.stderr}`);
}

/** A group member in a child process that prints "partition offset value" per record and leaves on SIGTERM. */
function processMember(cmd: string, args: readonly string[]): GroupMember {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const values: string[] = [];
  let pending = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    pending += d;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      const parts = line.split(' ');
      if (parts.length >= 3) values.push(parts.slice(2).join(' '));
    }
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  let stopping: Promise<void> | null = null;
  return {
    values,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
        if (child.exitCode !== 0 && child.signalCode !== 'SIGTERM') throw new Error(`${cmd} member exited with ${child.exitCode ?? child.signalCode}: ${stderr}`);
      })();
      return stopping;
    },
  };
}

function jsonLines(records: readonly ProducedRecord[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}

/** "partition offset key value" lines, key '-' for none. */
function parseConsumed(stdout: string): ConsumedRecord[] {
  return stdout
    .trimEnd()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [partition, offset, key, ...value] = l.split(' ');
      return { partition: Number(partition), offset: Number(offset), key: key === '-' ? null : key!, value: value.join(' ') };
    });
}

/** A Python client of test/broker/matrix/*.py. */
function pythonClient(name: string, script: string, codecs: readonly Compression[]): MatrixClient {
  const py = (args: string[], input?: string) => run('/usr/bin/python3', [here(script), ...args], { input, timeoutMs: 60_000 });
  return {
    name,
    codecs,
    async createTopic(bootstrap, topic, partitions) {
      checked(`${name} create-topic`, await py(['create-topic', bootstrap, topic, String(partitions)]));
    },
    async produce(bootstrap, topic, records, codec) {
      checked(`${name} produce`, await py(['produce', bootstrap, topic, codec], jsonLines(records)));
    },
    async consumeFromBeginning(bootstrap, topic, count) {
      const r = await py(['consume', bootstrap, topic, String(count)]);
      checked(`${name} consume`, r);
      return parseConsumed(r.stdout);
    },
    async startMember(bootstrap, topic, groupId) {
      return processMember('/usr/bin/python3', [here(script), 'member', bootstrap, topic, groupId]);
    },
  };
}

/** kafka-python's codecs: gzip built in, the others when their Python modules are installed. */
function kafkaPythonCodecs(): Compression[] {
  const optional: [Compression, string][] = [
    ['snappy', 'snappy'],
    ['lz4', 'lz4.frame'],
    ['zstd', 'zstandard'],
  ];
  return ['none', 'gzip', ...optional.filter(([, module]) => pythonModuleExists(module)).map(([codec]) => codec)];
}

export const kafkaPython = (): MatrixClient => pythonClient('kafka-python', 'kafka_python_client.py', kafkaPythonCodecs());

export const confluentKafka = (): MatrixClient => pythonClient('confluent-kafka', 'confluent_client.py', ['none', 'gzip', 'snappy', 'lz4', 'zstd']);

/** kcat (librdkafka): no admin API, so its topics are auto-created; `-G` is librdkafka's balanced consumer. */
export const kcat = (): MatrixClient => ({
  name: 'kcat',
  codecs: ['none', 'gzip', 'snappy', 'lz4', 'zstd'],
  async produce(bootstrap, topic, records, codec) {
    const keyed = records.filter((r) => r.key !== null);
    const unkeyed = records.filter((r) => r.key === null);
    const base = ['-b', bootstrap, '-P', '-t', topic, '-z', codec, '-X', 'acks=all'];
    if (keyed.length > 0) checked('kcat -P -K', await run('kcat', [...base, '-K', '|'], { input: keyed.map((r) => `${r.key}|${r.value}\n`).join('') }));
    if (unkeyed.length > 0) checked('kcat -P', await run('kcat', base, { input: unkeyed.map((r) => `${r.value}\n`).join('') }));
  },
  async consumeFromBeginning(bootstrap, topic, count) {
    // %K is the key's length, -1 for none.
    const r = await run('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-c', String(count), '-f', '%p %o %K %k %s\n']);
    checked('kcat -C', r);
    return r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => {
        const [partition, offset, keyLength, key, ...value] = l.split(' ');
        return { partition: Number(partition), offset: Number(offset), key: keyLength === '-1' ? null : key!, value: value.join(' ') };
      });
  },
  async startMember(bootstrap, topic, groupId) {
    return processMember('kcat', [
      '-b', bootstrap, '-G', groupId, '-u', '-f', '%p %o %s\n',
      '-X', 'auto.offset.reset=earliest',
      '-X', `session.timeout.ms=${SESSION_TIMEOUT_MS}`,
      '-X', `heartbeat.interval.ms=${HEARTBEAT_MS}`,
      '-X', 'auto.commit.interval.ms=200',
      topic,
    ]);
  },
});

const KAFKAJS_CODECS: Partial<Record<Compression, CompressionTypes>> = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP };

/** kafkajs 2.2.4: gzip is its only built-in codec (the others need codec plugins, not installed). */
export const kafkajs = (): MatrixClient => {
  const kafka = (bootstrap: string) =>
    new Kafka({ clientId: 'matrix-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
  const member = async (bootstrap: string, topic: string, groupId: string, onRecord: (r: ConsumedRecord) => void) => {
    const consumer = kafka(bootstrap).consumer({ groupId, sessionTimeout: SESSION_TIMEOUT_MS, heartbeatInterval: HEARTBEAT_MS, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) =>
        onRecord({ partition, offset: Number(message.offset), key: message.key?.toString() ?? null, value: message.value!.toString() }),
    });
    return consumer;
  };
  return {
    name: 'kafkajs',
    codecs: Object.keys(KAFKAJS_CODECS) as Compression[],
    async createTopic(bootstrap, topic, partitions) {
      const admin = kafka(bootstrap).admin();
      await admin.connect();
      try {
        if (!(await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] }))) throw new Error(`kafkajs: ${topic} not created`);
      } finally {
        await admin.disconnect();
      }
    },
    async produce(bootstrap, topic, records, codec) {
      const producer = kafka(bootstrap).producer({ allowAutoTopicCreation: true });
      await producer.connect();
      try {
        await producer.send({ topic, acks: -1, compression: KAFKAJS_CODECS[codec]!, messages: records.map((r) => ({ key: r.key, value: r.value })) });
      } finally {
        await producer.disconnect();
      }
    },
    async consumeFromBeginning(bootstrap, topic, count) {
      // kafkajs has no consumer without a group: a fresh one, so nothing is committed yet.
      const out: ConsumedRecord[] = [];
      const consumer = await member(bootstrap, topic, `reader-${randomUUID()}`, (r) => out.push(r));
      try {
        await eventually(() => out.length >= count, 30_000, `kafkajs to read ${count} records`);
      } finally {
        await consumer.disconnect();
      }
      return out;
    },
    async startMember(bootstrap, topic, groupId) {
      const values: string[] = [];
      const consumer = await member(bootstrap, topic, groupId, (r) => values.push(r.value));
      let stopping: Promise<void> | null = null;
      return { values, stop: () => (stopping ??= consumer.disconnect()) };
    },
  };
};

/** @platformatic/kafka 1.35 (flexible versions only); no zstd on Node 20. */
export const platformatic = (): MatrixClient => {
  const base = (bootstrap: string) => ({ clientId: 'matrix-platformatic', bootstrapBrokers: [bootstrap], retries: 8, retryDelay: 100 });
  const consumer = async (bootstrap: string, topic: string, groupId: string, mode: 'earliest' | 'committed', onRecord: (r: ConsumedRecord) => void) => {
    const c = new PlatformaticConsumer({ ...base(bootstrap), groupId, deserializers: stringDeserializers });
    const stream = await c.consume({
      topics: [topic],
      mode,
      fallbackMode: 'earliest',
      autocommit: mode === 'committed' ? 100 : false,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_MS,
      maxWaitTime: 200,
    });
    stream.on('data', (m) => onRecord({ partition: m.partition, offset: Number(m.offset), key: m.key ?? null, value: m.value }));
    let closing: Promise<void> | null = null;
    return () =>
      (closing ??= (async () => {
        await stream.close();
        await c.close();
      })());
  };
  return {
    name: 'platformatic',
    codecs: ['none', 'gzip', 'snappy', 'lz4'],
    async createTopic(bootstrap, topic, partitions) {
      const admin = new Admin(base(bootstrap));
      try {
        await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
      } finally {
        await admin.close();
      }
    },
    async produce(bootstrap, topic, records, codec) {
      const producer = new PlatformaticProducer({ ...base(bootstrap), serializers: stringSerializers });
      try {
        await producer.send({
          acks: -1,
          compression: codec,
          messages: records.map((r) => (r.key === null ? { topic, value: r.value } : { topic, key: r.key, value: r.value })),
        });
      } finally {
        await producer.close();
      }
    },
    async consumeFromBeginning(bootstrap, topic, count) {
      const out: ConsumedRecord[] = [];
      const close = await consumer(bootstrap, topic, `reader-${randomUUID()}`, 'earliest', (r) => out.push(r));
      try {
        await eventually(() => out.length >= count, 30_000, `@platformatic/kafka to read ${count} records`);
      } finally {
        await close();
      }
      return out;
    },
    async startMember(bootstrap, topic, groupId) {
      const values: string[] = [];
      const stop = await consumer(bootstrap, topic, groupId, 'committed', (r) => values.push(r.value));
      return { values, stop };
    },
  };
};
