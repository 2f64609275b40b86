import { StreamsApp, json, string, tumbling, windowed, type StreamsAppOptions } from '../../../src/index.js';
import { partitionForKey } from '../../../src/records/partitioner.js';
import type { LogManager } from '../../../src/log/log-manager.js';
import { windowKey, type Ev } from '../reference.js';
import { readTopic, rng, type In } from './helpers.js';

export interface Click {
  page: string;
  ts: number;
}

export const PARTITIONS = 3;
export const REF_OPTS = { size: 10_000, grace: 1_000, ooo: 2_000 };

/** Clicks out of order within a few seconds, some far behind (late); keyed by user. */
export function generate(n: number, seed: number, from = 0): { records: In[] } {
  const r = rng(seed);
  const records: In[] = [];
  for (let i = from; i < from + n; i++) {
    const user = `u${Math.floor(r() * 40)}`;
    const page = `p${Math.floor(r() * 15)}`;
    let ts = 1_000_000 + i * 25 + Math.floor(r() * 4_000) - 2_000;
    if (r() < 0.02) ts -= 15_000;
    records.push({ key: user, value: JSON.stringify({ page, ts } satisfies Click), timestamp: ts });
  }
  return { records };
}

/** The reference's view: each source partition's records in their order there. */
export function eventsOf(records: readonly In[]): Ev[] {
  const byPartition: Ev[][] = Array.from({ length: PARTITIONS }, () => []);
  for (const rec of records) {
    const p = partitionForKey(Buffer.from(rec.key!), PARTITIONS);
    const c = JSON.parse(rec.value) as Click;
    byPartition[p]!.push({ key: c.page, ts: c.ts, n: 1, partition: p });
  }
  return byPartition.flat();
}

/** keyBy(page) (repartition) + 10 s tumbling count, grace 1 s, out-of-orderness 2 s. */
export function build(
  applicationId: string,
  topics: { input: string; output: string } = { input: 'clicks', output: 'counts' },
  options: Omit<StreamsAppOptions, 'applicationId'> = {},
): StreamsApp {
  const app = new StreamsApp({ ...options, applicationId });
  app
    .stream(topics.input, { key: string(), value: json<Click>(), timestamp: (c) => c.ts, maxOutOfOrderness: '2s' })
    .keyBy((c) => c.page, { key: string() })
    .window(tumbling('10s'), { grace: '1s' })
    .count()
    .toStream()
    .to(topics.output, { value: json() });
  return app;
}

export function results(log: LogManager, topic = 'counts'): { map: Map<string, number>; n: number } {
  const kd = windowed(string());
  const map = new Map<string, number>();
  const out = readTopic(log, topic);
  for (const r of out) {
    const w = kd.deserialize(r.key!);
    map.set(windowKey(w.key, w.start), JSON.parse(r.value!.toString()) as number);
  }
  return { map, n: out.length };
}
