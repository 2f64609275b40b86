import type { Log, LogProducer } from '../log.js';
import { visitRecords } from '../records.js';

/** Where source connectors keep their positions (Kafka Connect's `connect-offsets`): compacted, one partition. */
export const SOURCE_POSITIONS_TOPIC = '__tributary_connect_offsets';

/**
 * A source's positions in the log itself, as Kafka Connect's exactly-once sources keep them: the
 * position record is sent in the same transaction as the records read up to it, so after a crash
 * the source resumes exactly after the last committed records — never re-reading what was
 * written, never skipping what was not.
 */
export class SourcePositions {
  constructor(private readonly log: Log) {}

  async ensureTopic(): Promise<void> {
    await this.log.createTopics([{ name: SOURCE_POSITIONS_TOPIC, partitions: 1, config: { 'cleanup.policy': 'compact' } }]);
  }

  /** The last committed position of `source`, or null when it never committed one. */
  async load<T>(source: string): Promise<T | null> {
    const tp = { topic: SOURCE_POSITIONS_TOPIC, partition: 0 };
    const [end] = await this.log.endOffsets([tp], 'read_committed');
    const [start] = await this.log.beginningOffsets([tp]);
    const consumer = this.log.consumer({ isolation: 'read_committed' });
    let found: T | null = null;
    try {
      consumer.assign([{ ...tp, offset: start! }]);
      while (consumer.position(tp) < end!) {
        const fetched = await consumer.fetch(1000);
        if (fetched.length === 0) break;
        for (const f of fetched) {
          visitRecords(f, (_o, _t, key, value) => {
            if (key !== null && key.toString('utf8') === source) found = value === null ? null : (JSON.parse(value.toString('utf8')) as T);
          });
        }
      }
    } finally {
      consumer.close();
    }
    return found;
  }

  /** Adds the position to the producer's open transaction. */
  send<T>(producer: LogProducer, source: string, position: T): void {
    producer.send({
      topic: SOURCE_POSITIONS_TOPIC,
      partition: 0,
      timestamp: Date.now(),
      key: Buffer.from(source, 'utf8'),
      value: Buffer.from(JSON.stringify(position), 'utf8'),
      headers: [],
    });
  }
}
