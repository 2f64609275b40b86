// What the scale-out tests over the clicks input share: the reference's events (each click on
// the input partition its key hashes to, as the sources read them) and the wait for a group's
// committed offsets to reach a topic's end.
import type { Log } from '../../../src/index.js';
import { partitionForKey } from '../../../src/records/partitioner.js';
import type { Ev } from '../../engine/reference.js';
import type { Click } from '../../engine/runtime/clicks.js';
import type { In } from './logs.js';

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
