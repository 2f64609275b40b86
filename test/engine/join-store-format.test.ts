import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamsApp, TopologyTestDriver, json, string } from '../../src/index.js';
import { encodeState } from '../../src/engine/codec.js';
import type { DriverSnapshot } from '../../src/engine/test-driver.js';

interface Side {
  key: string;
  ts: number;
  n: number;
}

function build(): StreamsApp {
  const app = new StreamsApp({ applicationId: 'ssj-format', maxOutOfOrderness: '1s' });
  const l = app.stream('left', { key: string(), value: json<Side>(), timestamp: (v) => v.ts });
  const r = app.stream('right', { key: string(), value: json<Side>(), timestamp: (v) => v.ts });
  l.outerJoin(r, (a, b) => `${a ? a.n : '-'}/${b ? b.n : '-'}`, { within: 5_000, name: 'pairs' }).to('out', { value: string() });
  return app;
}

const FIRST: Array<['L' | 'R', Side]> = [
  ['L', { key: 'a', ts: 1_000, n: 1 }],
  ['R', { key: 'a', ts: 2_000, n: 2 }],
  ['L', { key: 'b', ts: 3_000, n: 3 }],
];
const REST: Array<['L' | 'R', Side]> = [
  ['R', { key: 'b', ts: 4_000, n: 4 }],
  ['R', { key: 'a', ts: 5_000, n: 5 }],
  ['L', { key: 'c', ts: 30_000, n: 6 }],
];

function pipe(d: TopologyTestDriver, events: Array<['L' | 'R', Side]>): void {
  const li = d.input('left', { key: string(), value: json<Side>() });
  const ri = d.input('right', { key: string(), value: json<Side>() });
  for (const [side, v] of events) (side === 'L' ? li : ri).pipe({ key: v.key, value: v, timestamp: v.ts });
}

function outputs(d: TopologyTestDriver): string[] {
  return d
    .output('out', { key: string(), value: string() })
    .readRecords()
    .map((r) => `${r.key}:${r.value}@${r.timestamp}`);
}

/** The join stores' changelogs, as compaction would leave them: the last value per key. */
function changelogValues(s: DriverSnapshot): Buffer[] {
  const last = new Map<string, Buffer | null>();
  for (const [topic, parts] of s.topics) {
    if (!topic.includes('pairs') || !topic.endsWith('-changelog')) continue;
    for (const p of parts) for (const r of p) last.set(`${topic}/${r.key!.toString('hex')}`, r.value);
  }
  return [...last.values()].filter((v): v is Buffer => v !== null);
}

test("a stream-stream join buffers values with the streams' serde: tag byte (bit 0 = matched), then the serde's bytes", () => {
  const d = new TopologyTestDriver(build());
  pipe(d, FIRST);
  const values = changelogValues(d.snapshot());
  assert.equal(values.length, 3);
  const decoded = values.map((v) => ({ tag: v[0], value: JSON.parse(v.subarray(1).toString()) as Side })).sort((x, y) => x.value.n - y.value.n);
  assert.deepEqual(decoded, [
    { tag: 0x11, value: FIRST[0]![1] },
    { tag: 0x11, value: FIRST[1]![1] },
    { tag: 0x10, value: FIRST[2]![1] },
  ]);
});

test('a join restores from changelogs in either format (serde bytes, or V8 as written before) with the same results', () => {
  const whole = new TopologyTestDriver(build());
  pipe(whole, [...FIRST, ...REST]);
  whole.drain();
  const expected = outputs(whole).sort();
  assert.ok(expected.includes('a:1/5@5000') && expected.includes('b:3/4@4000') && expected.includes('c:6/-@30000'));

  const first = new TopologyTestDriver(build());
  pipe(first, FIRST);
  const before = outputs(first);
  const snapshot = first.snapshot();
  // The same changelogs as the V8 format wrote them: [value, matched].
  const v8Topics = new Map(
    [...snapshot.topics].map(([topic, parts]) => [
      topic,
      !topic.includes('pairs') || !topic.endsWith('-changelog')
        ? parts
        : parts.map((p) =>
            p.map((r) => (r.value === null ? r : { ...r, value: encodeState([JSON.parse(r.value.subarray(1).toString()), (r.value[0]! & 1) === 1]) })),
          ),
    ]),
  );
  assert.ok(changelogValues({ topics: v8Topics }).every((v) => v[0] === 0xff), 'V8 format');
  for (const restoreFrom of [snapshot, { topics: v8Topics }]) {
    const second = new TopologyTestDriver(build(), { restoreFrom });
    outputs(second);
    pipe(second, REST);
    second.drain();
    assert.deepEqual([...before, ...outputs(second)].sort(), expected);
  }
});
