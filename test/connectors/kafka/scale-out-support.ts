// What the scale-out tests over the clicks input share: the reference's events (each click on
// the input partition its key hashes to, as the sources read them) and the wait for a group's
// committed offsets to reach a topic's end.
import { StreamsApp, json, string, tumbling, type Log } from '../../../src/index.js';
import { partitionForKey } from '../../../src/records/partitioner.js';
import type { Ev } from '../../engine/reference.js';
import type { Click } from '../../engine/runtime/clicks.js';
import type { In } from './logs.js';

/**
 * Clicks counted per page in 10 s tumbling windows (grace 1 s) after a repartition by page; the
 * records judged late go to `<app>-late`, the counts to `<app>-out`. An hour's idle timeout keeps
 * the wall clock out of the results.
 */
export function clickCountsApp(app: string): StreamsApp {
  const a = new StreamsApp({ applicationId: app, idleTimeout: '1h' });
  const w = a
    .stream(`${app}-in`, { key: string(), value: json<Click>(), timestamp: (c) => c.ts, maxOutOfOrderness: '2s' })
    .keyBy((c) => c.page, { key: string() })
    .window(tumbling('10s'), { grace: '1s' });
  w.late().to(`${app}-late`, { key: string(), value: json() });
  w.count().toStream().to(`${app}-out`, { value: json() });
  return a;
}

/** The clicks as the reference counts them, grouped by input partition (murmur2 of the record key). */
export function eventsOf(records: readonly In[], partitions: number): Ev[] {
  const byPartition: Ev[][] = Array.from({ length: partitions }, () => []);
  for (const rec of records) {
    const p = partitionForKey(Buffer.from(rec.key!), partitions);
    const c = JSON.parse(rec.value) as Click;
    byPartition[p]!.push({ key: c.page, ts: c.ts, n: 1, partition: p });
  }
  return byPartition.flat();
}

/** Whether `group` has committed every partition of `topic` up to its end. */
export async function committedUpTo(admin: Log, group: string, topic: string, partitions: number): Promise<boolean> {
  const tps = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
  const [c, e] = await Promise.all([admin.committedOffsets(group, tps), admin.endOffsets(tps)]);
  return c.every((o, i) => o >= e[i]!);
}
