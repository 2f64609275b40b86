import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamsApp, TopologyTestDriver, json, string } from '../../src/index.js';
import { decodeDouble, STAMP_HEADER } from '../../src/engine/watermarks.js';

test('repartitioned records carry their stamp header; a run with the same stamp shares one headers array; user headers come first', () => {
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
    const h = rep[i]!.headers;
    const stamp = max - 1_000;
    if (i === 5) {
      assert.deepEqual(h.map((x) => x.key), ['user', STAMP_HEADER]);
    } else {
      assert.equal(h.length, 1);
      assert.equal(h[0]!.key, STAMP_HEADER);
    }
    assert.equal(decodeDouble(h[h.length - 1]!.value!), stamp, `stamp of record ${i}`);
    const prev = i > 0 ? rep[i - 1]!.headers : undefined;
    const prevStamp = i > 0 ? decodeDouble(prev![prev!.length - 1]!.value!) : NaN;
    if (i !== 5 && i - 1 !== 5 && prevStamp === stamp) assert.equal(h, prev, `record ${i} shares its headers array with record ${i - 1}`);
    else if (i > 0) assert.notEqual(h, prev);
    max = Math.max(max, ts[i]!);
  }
});
