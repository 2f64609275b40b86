import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogManager } from '../../../src/log/log-manager.js';
import { forEachCommittedRecord } from '../../../src/log/committed-records.js';
import { encodeRecordBatch } from '../../../src/records/record-batch.js';
import type { RecordHeader } from '../../../src/records/record.js';
import { partitionForKey } from '../../../src/records/partitioner.js';
import { silentLogger } from '../../../src/log/logger.js';

export function tempDir(prefix = 'tributary-rt-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function openLog(dataDir: string): Promise<LogManager> {
  return LogManager.open({ dataDir, logger: silentLogger, cleanerIntervalMs: 0, retentionCheckIntervalMs: 0 });
}

export interface In {
  key: string | null;
  value: string;
  timestamp: number;
  partition?: number;
}

/** Appends records to a topic, each at its key's partition (murmur2) unless given; batches of `batch`. */
export async function produce(log: LogManager, topic: string, records: readonly In[], batch = 500): Promise<void> {
  const n = log.describeTopic(topic).partitions.length;
  const per: Array<Array<{ key: Buffer | null; value: Buffer; timestamp: number }>> = Array.from({ length: n }, () => []);
  records.forEach((r, i) => {
    const key = r.key === null ? null : Buffer.from(r.key);
    const p = r.partition ?? (key ? partitionForKey(key, n) : i % n);
    per[p]!.push({ key, value: Buffer.from(r.value), timestamp: r.timestamp });
  });
  for (let p = 0; p < n; p++) {
    const list = per[p]!;
    for (let i = 0; i < list.length; i += batch) await log.partition(topic, p).append(encodeRecordBatch({ records: list.slice(i, i + batch) }));
  }
}

export interface Out {
  partition: number;
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: readonly RecordHeader[];
}

/** Every record of a topic, read_committed (what a Kafka consumer with isolation.level=read_committed gets). */
export function readTopic(log: LogManager, topic: string, isolation: 'read_committed' | 'read_uncommitted' = 'read_committed'): Out[] {
  if (!log.hasTopic(topic)) return [];
  const out: Out[] = [];
  const n = log.describeTopic(topic).partitions.length;
  for (let p = 0; p < n; p++) {
    const pl = log.partition(topic, p);
    let offset = pl.logStartOffset;
    for (;;) {
      const read = pl.read(offset, { maxBytes: 4 * 1024 * 1024, isolation });
      if (read.records.length === 0) break;
      offset = forEachCommittedRecord(
        read,
        (o, ts, k, v, h) => {
          out.push({ partition: p, offset: o, timestamp: ts, key: k && Buffer.from(k), value: v && Buffer.from(v), headers: h });
        },
        { fromOffset: offset },
      );
    }
  }
  return out;
}

export { rng } from '../../support/rng.js';
