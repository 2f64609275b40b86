import type { Log, LogConsumer } from '../log.js';
import { visitRecords } from '../records.js';
import { BadRequestBodyError } from './errors.js';

/** One record as live subscribers see it. `id` is the position after it, for resuming. */
export interface LiveEvent {
  readonly id: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: string | null;
  /** The value as JSON when it is JSON, else its text. */
  readonly value: unknown;
}

export interface SubscriptionStart {
  /** Where partitions without a resume position start. Default 'latest'. */
  readonly from?: 'earliest' | 'latest';
  /** A previous event's id (`partition:offset,...`, Server-Sent Events' Last-Event-ID): resume right after it. */
  readonly lastEventId?: string;
}

/**
 * Parses an event id: `partition:nextOffset` pairs, comma-separated. An id carries the position
 * of every partition (not only the event's own), so a resumed subscriber neither misses nor
 * repeats records of any partition.
 */
export function parseEventId(id: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const part of id.split(',')) {
    const m = /^\s*(\d+):(\d+)\s*$/.exec(part);
    if (!m) throw new BadRequestBodyError(`not an event id (partition:offset,...): ${JSON.stringify(id)}`);
    out.set(Number(m[1]), Number(m[2]));
  }
  return out;
}

/**
 * A live reader of a topic (read_committed) for one subscriber: every partition, from the
 * requested start, handing out batches of events as they are committed.
 */
export class LiveSubscription {
  private consumer: LogConsumer | null = null;
  private readonly positions: number[] = [];
  private closed = false;

  constructor(
    private readonly log: Log,
    readonly topic: string,
  ) {}

  async open(start: SubscriptionStart): Promise<void> {
    const info = (await this.log.describeTopics([this.topic])).get(this.topic);
    if (!info) throw new BadRequestBodyError(`topic ${this.topic} does not exist`);
    const tps = Array.from({ length: info.partitions }, (_, partition) => ({ topic: this.topic, partition }));
    const resume = start.lastEventId ? parseEventId(start.lastEventId) : new Map<number, number>();
    const defaults = start.from === 'earliest' ? await this.log.beginningOffsets(tps) : await this.log.endOffsets(tps, 'read_committed');
    tps.forEach((tp, i) => (this.positions[i] = resume.get(tp.partition) ?? defaults[i]!));
    this.consumer = this.log.consumer({ isolation: 'read_committed', maxBytesPerPartition: 256 * 1024 });
    this.consumer.assign(tps.map((tp, i) => ({ ...tp, offset: this.positions[i]! })));
  }

  /** The next events (waits up to `maxWaitMs`; [] on timeout or close). */
  async next(maxWaitMs: number): Promise<LiveEvent[]> {
    if (this.closed || !this.consumer) return [];
    const fetched = await this.consumer.fetch(maxWaitMs);
    const out: LiveEvent[] = [];
    for (const f of fetched) {
      visitRecords(f, (offset, timestamp, key, value) => {
        this.positions[f.partition] = offset + 1;
        out.push({ id: this.id(), partition: f.partition, offset, timestamp, key: key && key.toString('utf8'), value: decode(value) });
      });
      // Skipped control records and aborted data move the position too.
      this.positions[f.partition] = f.nextOffset;
    }
    return out;
  }

  close(): void {
    this.closed = true;
    this.consumer?.close();
  }

  private id(): string {
    return this.positions.map((o, p) => `${p}:${o}`).join(',');
  }
}

function decode(value: Buffer | null): unknown {
  if (value === null) return null;
  const text = value.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
