import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamsApp, TopologyTestDriver, json, string } from '../../src/index.js';
import { readStamp, stampSkip, STAMP_PREFIX } from '../../src/engine/stamped-value.js';
import { STAMP_HEADER } from '../../src/engine/watermarks.js';

test('repartitioned records carry their stamp before the value, no stamp header; user headers pass as they are', () => {
  const app = new StreamsApp({ applicationId: 'sh' });
  app
    .stream('in', { key: string(), value: string(), maxOutOfOrderness: '1s' })
    .keyBy((v) => v, { key: string(), name: 'k' })
    .count()
    .toStream()
    .to('out', { value: json() });
  const driver = new TopologyTestDriver(app, { partitions: { in: 1, 'sh-k-repartition': 1 } });
  // Timestamps that move the watermark in steps: several records in a row share a stamp.
  const ts = [5_000, 5_000, 4_000, 5_000, 9_000, 8_000, 9_000, 20_000, 20_000];
  const input = driver.input<string, string>('in', { key: string(), value: string() });
  input.pipeAll(ts.map((t, i) => ({ key: 'x', value: `v${i}`, timestamp: t, ...(i === 5 ? { headers: [{ key: 'user', value: Buffer.from('h') }] } : {}) })));
  const rep = driver.snapshot().topics.get('sh-k-repartition')![0]!.filter((r) => r.value !== null);
  assert.equal(rep.length, ts.length);
  let max = -Infinity;
  for (let i = 0; i < ts.length; i++) {
    const { value, headers } = rep[i]!;
    assert.equal(headers.some((h) => h.key === STAMP_HEADER), false);
    assert.deepEqual(headers.map((h) => h.key), i === 5 ? ['user'] : []);
    assert.equal(stampSkip(value!, 0, value!.length), STAMP_PREFIX, `record ${i} is stamped`);
    assert.equal(readStamp(value!, 0), max - 1_000, `stamp of record ${i}`);
    assert.equal(value!.subarray(STAMP_PREFIX).toString(), `v${i}`, `value of record ${i}`);
    max = Math.max(max, ts[i]!);
  }
  // And downstream reads each record's own key and value back (keyed by value: one count each).
  assert.deepEqual(
    driver.peekAll('out').map((r) => `${r.key}=${r.value}`),
    ts.map((_, i) => `v${i}=1`),
  );
});
