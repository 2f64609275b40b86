/**
 * The window state the state-memory and restore benches measure: a count per key in one 10 s
 * tumbling window, over events written one per key, all in that window (it never closes, so at the
 * end every key has state in the store and its changelog).
 */
import { StreamsApp, float64, string, tumbling } from '../../src/index.js';
import type { LogManager } from '../../src/log/index.js';
import { encodeRecordBatch } from '../../src/records/record-batch.js';
import { partitionForKey } from '../../src/records/partitioner.js';

/** A multiple of 10 s: every event falls in the window [T0, T0 + 10 s). */
export const T0 = 1_700_000_000_000;

/** The app: events (string key, float64 value) → tumbling 10 s count per key (store `counts`) → `out`. */
export function windowCountApp(applicationId: string): StreamsApp {
  const app = new StreamsApp({ applicationId, idleTimeout: '1h', maxOutOfOrderness: '5s' });
  app
    .stream('events', { key: string(), value: float64() })
    .groupByKey()
    .window(tumbling('10s'))
    .count({ name: 'counts' })
    .toStream()
    .to('out', { value: float64() });
  return app;
}

/**
 * Appends `n` events with keys `${prefix}0` … `${prefix}${n - 1}` to the topic `events` (which
 * must exist with `partitions` partitions), each in the partition of its key, in batches of 1,000,
 * timestamps rising over the window's first 5 s.
 */
export async function writeKeyEvents(log: LogManager, prefix: string, n: number, partitions: number): Promise<void> {
  const per: Array<Array<{ key: Buffer; value: Buffer; timestamp: number }>> = Array.from({ length: partitions }, () => []);
  const v = Buffer.alloc(8);
  const flush = async (p: number) => {
    if (per[p]!.length === 0) return;
    await log.partition('events', p).append(encodeRecordBatch({ records: per[p]! }));
    per[p] = [];
  };
  for (let i = 0; i < n; i++) {
    const key = Buffer.from(`${prefix}${i}`);
    const p = partitionForKey(key, partitions);
    per[p]!.push({ key, value: v, timestamp: T0 + Math.floor((i / n) * 5_000) });
    if (per[p]!.length === 1000) await flush(p);
  }
  for (let p = 0; p < partitions; p++) await flush(p);
}

/**
 * After a restore: one event per partition, so that every task's operators open (they open at
 * their first record), then waits until `recordsIn` counts them. Returns the CPU seconds it took.
 */
export async function openOperators(log: LogManager, partitions: number, app: StreamsApp): Promise<number> {
  const recordsIn = () => app.tasks.reduce((n, t) => n + t.metrics.recordsIn, 0);
  const before = recordsIn();
  const cpu0 = process.cpuUsage();
  for (let p = 0; p < partitions; p++) {
    await log.partition('events', p).append(encodeRecordBatch({ records: [{ key: Buffer.from(`after-restore-${p}`), value: Buffer.alloc(8), timestamp: T0 }] }));
  }
  while (recordsIn() < before + partitions) await new Promise((r) => setTimeout(r, 5));
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1e6;
}
