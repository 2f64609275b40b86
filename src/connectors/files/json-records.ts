import { partitionForKey } from '../../records/partitioner.js';
import type { RecordHeader } from '../../records/record.js';
import type { ProducerRecord } from '../log.js';

/**
 * JSON values as records of a topic, the way every source connector here writes them: the value
 * is the JSON text, the key (optional) is a field of the value as text, and the partition is
 * Kafka's default partitioner's choice for the key — so a keyed record lands where a Java
 * client, and the engine's own sinks, would put it. Records without a key go round-robin.
 */
export class JsonRecordWriter {
  private next = 0;

  constructor(
    readonly topic: string,
    readonly partitions: number,
    /** A field of the value (dots for nesting: `user.id`) whose text is the key. */
    readonly keyField?: string,
  ) {}

  /** The key's text, or null (no key field configured, or the value has no such field). */
  keyOf(value: unknown): string | null {
    if (this.keyField === undefined) return null;
    let cur = value;
    for (const p of this.keyField.split('.')) {
      if (cur === null || typeof cur !== 'object') return null;
      cur = (cur as Record<string, unknown>)[p];
    }
    if (cur === undefined || cur === null) return null;
    return typeof cur === 'object' ? JSON.stringify(cur) : String(cur);
  }

  record(value: unknown, timestamp = Date.now(), headers: readonly RecordHeader[] = []): ProducerRecord {
    const k = this.keyOf(value);
    const key = k === null ? null : Buffer.from(k, 'utf8');
    const partition = key === null ? this.next++ % this.partitions : partitionForKey(key, this.partitions);
    return { topic: this.topic, partition, timestamp, key, value: Buffer.from(JSON.stringify(value), 'utf8'), headers };
  }
}

/** A record for a dead-letter topic: the offending bytes as they were, the reason in headers. */
export function deadLetterRecord(topic: string, raw: Buffer, reason: string, where: Record<string, string>): ProducerRecord {
  const headers: RecordHeader[] = [{ key: 'tributary.error', value: Buffer.from(reason) }];
  for (const [k, v] of Object.entries(where)) headers.push({ key: `tributary.${k}`, value: Buffer.from(v) });
  return { topic, partition: 0, timestamp: Date.now(), key: null, value: Buffer.from(raw), headers };
}
