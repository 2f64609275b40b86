// Shared by the file connector tests: a temp dir with an embedded log, and reading a topic back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embedded, visitRecords, type Log } from '../../../src/connectors/index.js';
import { silentLogger } from '../../../src/log/logger.js';

export async function withLog(fn: (log: Log, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-files-'));
  const log = await embedded({ dataDir: join(dir, 'log'), logOptions: { logger: silentLogger, cleanerIntervalMs: 0 } }).connect();
  try {
    await fn(log, dir);
  } finally {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ReadRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Every committed record of a topic, partition by partition. */
export async function readTopic(log: Log, topic: string): Promise<ReadRecord[]> {
  const info = (await log.describeTopics([topic])).get(topic);
  if (!info) return [];
  const tps = Array.from({ length: info.partitions }, (_, partition) => ({ topic, partition }));
  const ends = await log.endOffsets(tps, 'read_committed');
  const c = log.consumer({ isolation: 'read_committed' });
  c.assign(tps.map((tp) => ({ ...tp, offset: 0 })));
  const out: ReadRecord[] = [];
  while (tps.some((tp, i) => c.position(tp) < ends[i]!)) {
    for (const f of await c.fetch(100)) {
      visitRecords(f, (offset, _t, key, value, headers) => {
        out.push({
          partition: f.partition,
          offset,
          key: key && key.toString(),
          value: value && value.toString(),
          headers: Object.fromEntries(headers.map((h) => [h.key, h.value?.toString() ?? ''])),
        });
      });
    }
  }
  c.close();
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}
