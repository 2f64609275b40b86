import { forEachCommittedRecord } from '../../log/committed-records.js';
import type { LogManager } from '../../log/log-manager.js';

/**
 * Follows topics of the embedded log from where they are now, as a read_committed consumer: the demo
 * sees exactly what downstream consumers would see — committed results, no aborted writes.
 */
export class OutputReader {
  private readonly positions = new Map<string, number[]>();

  constructor(
    private readonly log: LogManager,
    topics: readonly string[],
  ) {
    for (const t of topics) {
      const parts = log.describeTopic(t).partitions;
      this.positions.set(
        t,
        parts.map((p) => p.logEndOffset),
      );
    }
  }

  /** Visits every record committed since the last call, as parsed JSON values. */
  poll(visit: (topic: string, value: unknown, timestamp: number) => void): number {
    let n = 0;
    for (const [topic, offsets] of this.positions) {
      for (let p = 0; p < offsets.length; p++) {
        const part = this.log.partition(topic, p);
        let offset = offsets[p]!;
        while (offset < part.lastStableOffset) {
          const read = part.read(offset, { isolation: 'read_committed' });
          if (read.records.length === 0) break;
          offset = forEachCommittedRecord(
            read,
            (_o, ts, _k, value) => {
              if (value === null) return;
              n++;
              visit(topic, JSON.parse(value.toString('utf8')) as unknown, ts);
            },
            { fromOffset: offset },
          );
        }
        offsets[p] = offset;
      }
    }
    return n;
  }
}
