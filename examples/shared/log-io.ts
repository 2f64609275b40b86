import { setTimeout as sleep } from 'node:timers/promises';
import { defaultPartition, type LogConnector, type RunContext } from '../../src/index.js';
import { visitRecords } from '../../src/connectors/index.js';

/** A record a generator writes: JSON value, string key (partitioned like Kafka's default partitioner). */
export interface GeneratedRecord {
  readonly topic: string;
  readonly key: string;
  readonly value: unknown;
  /** Event time, ms: the record's timestamp. */
  readonly timestamp: number;
}

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly config?: Readonly<Record<string, string | number>>;
}

/** Creates the topics that do not exist yet (an app's sources must exist before it starts). */
export async function ensureTopics(connector: LogConnector, topics: readonly TopicSpec[]): Promise<void> {
  const log = await connector.connect();
  try {
    await log.createTopics(topics.map((t) => ({ name: t.name, partitions: t.partitions, ...(t.config ? { config: t.config } : {}) })));
  } finally {
    await log.close();
  }
}

/** Writes records (all of them, in order per partition) and resolves once they are durable. */
export async function writeRecords(connector: LogConnector, records: Iterable<GeneratedRecord>): Promise<number> {
  const log = await connector.connect();
  try {
    const producer = await log.producer();
    const partitions = new Map<string, number>();
    let n = 0;
    for (const r of records) {
      let count = partitions.get(r.topic);
      if (count === undefined) {
        const info = (await log.describeTopics([r.topic])).get(r.topic);
        if (!info) throw new Error(`topic '${r.topic}' does not exist`);
        partitions.set(r.topic, (count = info.partitions));
      }
      const key = Buffer.from(r.key, 'utf8');
      producer.send({
        topic: r.topic,
        partition: defaultPartition(key, count),
        timestamp: r.timestamp,
        key,
        value: Buffer.from(JSON.stringify(r.value), 'utf8'),
        headers: [],
      });
      n++;
      if (n % 5_000 === 0) await producer.flush();
    }
    await producer.flush();
    await producer.close();
    return n;
  } finally {
    await log.close();
  }
}

/** `--rate N` among the arguments after the app file (events per second of wall-clock time). */
export function rateOf(args: readonly string[], fallback: number): number {
  const i = args.indexOf('--rate');
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`--rate must be a positive number, got ${args[i + 1]}`);
  return v;
}

/**
 * The built-in generator loop of `tributary run`: writes `records` at `rate` per second of wall
 * clock (ten slices a second) until `ctx.signal` aborts or the records run out. The records carry
 * their own event times, so what the app computes does not depend on how fast this runs.
 */
export async function generateInto(ctx: RunContext, records: Iterator<GeneratedRecord>, rate: number): Promise<void> {
  const perSlice = Math.max(1, Math.round(rate / 10));
  let done = false;
  const slice = function* (): Generator<GeneratedRecord> {
    for (let i = 0; i < perSlice; i++) {
      const r = records.next();
      if (r.done) {
        done = true;
        return;
      }
      yield r.value;
    }
  };
  while (!ctx.signal.aborted && !done) {
    const started = Date.now();
    await writeRecords(ctx.log, slice());
    const wait = 100 - (Date.now() - started);
    if (wait > 0) await sleep(wait, undefined, { signal: ctx.signal }).catch(() => {});
  }
}

/** A record read back from a topic: key and value as UTF-8 text. */
export interface ReadRecord {
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: string | null;
  readonly value: string | null;
}

/** Every committed record of a topic up to its current end (tests, and the query endpoint's catch-up). */
export async function readTopic(connector: LogConnector, topic: string, from?: Map<number, number>): Promise<ReadRecord[]> {
  const log = await connector.connect();
  try {
    const info = (await log.describeTopics([topic])).get(topic);
    if (!info) return [];
    const tps = Array.from({ length: info.partitions }, (_, partition) => ({ topic, partition }));
    const ends = await log.endOffsets(tps);
    const starts = await log.beginningOffsets(tps);
    const consumer = log.consumer();
    const out: ReadRecord[] = [];
    try {
      consumer.assign(tps.map((tp, i) => ({ ...tp, offset: Math.max(from?.get(tp.partition) ?? 0, starts[i]!) })));
      const left = new Set(tps.filter((tp, i) => consumer.position(tp) < ends[i]!).map((tp) => tp.partition));
      while (left.size > 0) {
        const fetched = await consumer.fetch(100);
        for (const f of fetched) {
          visitRecords(f, (offset, timestamp, key, value) => {
            if (offset >= ends[f.partition]!) return;
            out.push({
              partition: f.partition,
              offset,
              timestamp,
              key: key ? Buffer.from(key).toString('utf8') : null,
              value: value ? Buffer.from(value).toString('utf8') : null,
            });
          });
          if (f.nextOffset >= ends[f.partition]!) {
            left.delete(f.partition);
            consumer.pause([{ topic, partition: f.partition }]);
          }
        }
      }
      for (const tp of tps) from?.set(tp.partition, Math.min(consumer.position(tp), ends[tp.partition]!));
    } finally {
      consumer.close();
    }
    return out;
  } finally {
    await log.close();
  }
}
