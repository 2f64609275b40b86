// The README's "Writing an application" example, run as written (bounded), against an independent count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StreamsApp, embedded, json, string, tumbling } from '../src/index.js';
import { LogManager, forEachCommittedRecord, silentLogger } from '../src/log/index.js';
import { encodeRecordBatch } from '../src/records/record-batch.js';

interface Click {
  user: string;
  page: string;
  ts: number;
}

test('the README example counts page views per 10 s window, exactly', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tributary-readme-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const log = await LogManager.open({ dataDir, logger: silentLogger });
  await log.createTopic('clicks');
  const pages = ['/', '/a', '/b', '/health'];
  const clicks: Click[] = Array.from({ length: 500 }, (_, i) => ({ user: `u${i % 7}`, page: pages[(i * 7) % 4]!, ts: 1_000_000 + i * 100 }));
  await log.partition('clicks', 0).append(
    encodeRecordBatch({ records: clicks.map((c) => ({ key: Buffer.from(c.user), value: Buffer.from(JSON.stringify(c)), timestamp: c.ts })) }),
  );
  await log.close();

  const app = new StreamsApp({ applicationId: 'clicks', log: embedded({ dataDir }) });
  app.stream('clicks', { key: string(), value: json<Click>(), timestamp: (c) => c.ts, maxOutOfOrderness: '5s' })
    .filter((c) => c.page !== '/health')
    .keyBy((c) => c.page, { key: string() })
    .window(tumbling('10s'), { grace: '2s' })
    .count()
    .toStream()
    .to('page-views', { value: json() });
  await app.run({ until: 'end' });

  const expected = new Map<string, number>();
  for (const c of clicks) {
    if (c.page === '/health') continue;
    const k = `${c.page}@${c.ts - (c.ts % 10_000)}`;
    expected.set(k, (expected.get(k) ?? 0) + 1);
  }
  const reopened = await LogManager.open({ dataDir, logger: silentLogger });
  t.after(() => reopened.close());
  const got = new Map<string, number>();
  const partitions = reopened.describeTopic('page-views').partitions.length;
  for (let p = 0; p < partitions; p++) {
    const part = reopened.partition('page-views', p);
    let offset = 0;
    while (offset < part.lastStableOffset) {
      offset = forEachCommittedRecord(part.read(offset, { isolation: 'read_committed' }), (_o, _ts, key, value) => {
        // windowed keys: [key bytes][start int64][end int64]
        const page = key!.subarray(0, key!.length - 16).toString();
        const start = Number(key!.readBigInt64BE(key!.length - 16));
        got.set(`${page}@${start}`, JSON.parse(value!.toString()) as number);
      }, { fromOffset: offset });
    }
  }
  assert.deepEqual(new Map([...got].sort()), new Map([...expected].sort()));
});
