/**
 * Serde.deserializeRange reads a key or value where it lies in the fetched bytes. It must give
 * exactly what deserialize gives for the view of the same bytes (or fail the same way), and the
 * sources of a task fed the columns of a fetch must use it, dead-lettering what it refuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StreamsApp, TopologyTestDriver, custom, float64, json, string, type Serde } from '../../src/index.js';
import { encodeRecordBatch, type RecordInput } from '../../src/records/index.js';
import { decodeFetchedBatch } from '../../src/engine/runtime/decode.js';

/** The same bytes at several offsets of a larger buffer, between other bytes. */
function placed(bytes: Buffer): Array<{ chunk: Buffer; start: number; end: number }> {
  return [0, 1, 7, 64].map((at) => {
    const chunk = Buffer.alloc(at + bytes.length + 5, 0x7b); // '{': garbage a reader past the end would see
    bytes.copy(chunk, at);
    return { chunk, start: at, end: at + bytes.length };
  });
}

function outcome(f: () => unknown): { value: unknown } | { error: string } {
  try {
    return { value: f() };
  } catch (e) {
    return { error: (e as Error).constructor.name };
  }
}

const schema = {
  parse(x: unknown): { n: number } {
    if (typeof x !== 'object' || x === null || typeof (x as { n?: unknown }).n !== 'number') throw new TypeError('not an {n}');
    return x as { n: number };
  },
};

const cases: Array<[string, Serde<unknown>, Buffer[]]> = [
  ['string', string() as Serde<unknown>, [Buffer.from(''), Buffer.from('k42'), Buffer.from('grüße ✓'), Buffer.from([0xff, 0x61, 0xc3])]],
  ['json', json() as Serde<unknown>, [Buffer.from('{"a":[1,2,{"b":null}]}'), Buffer.from('"x"'), Buffer.from('{not json'), Buffer.from('')]],
  ['json(schema)', json(schema) as Serde<unknown>, [Buffer.from('{"n":3}'), Buffer.from('{"m":3}'), Buffer.from('[')]],
  ['float64', float64() as Serde<unknown>, [Buffer.from([0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18]), Buffer.alloc(4), Buffer.alloc(0), Buffer.from([0x7f, 0xf8, 0, 0, 0, 0, 0, 0, 0xaa])]],
];

test('deserializeRange of the built-in serdes gives what deserialize gives for the view, or fails the same way', () => {
  for (const [name, serde, inputs] of cases) {
    assert.equal(typeof serde.deserializeRange, 'function', `${name} reads in place`);
    for (const bytes of inputs) {
      const expected = outcome(() => serde.deserialize(Buffer.from(bytes)));
      for (const { chunk, start, end } of placed(bytes)) {
        assert.deepEqual(outcome(() => serde.deserializeRange!(chunk, start, end)), expected, `${name} of ${bytes.toString('hex')} at ${start}`);
      }
    }
  }
  // Sanity: the cases hold both outcomes.
  assert.ok(cases.some(([, s, inputs]) => inputs.some((b) => 'error' in outcome(() => s.deserialize(b)))));
});

test('custom() passes deserializeRange on, and has none when none is given', () => {
  const calls: Array<[number, number]> = [];
  const withRange = custom<number>({
    serialize: (v) => Buffer.from([v]),
    deserialize: (b) => b[0]!,
    deserializeRange: (b, start, end) => {
      calls.push([start, end]);
      return b[start]!;
    },
  });
  assert.equal(withRange.deserializeRange!(Buffer.from([9, 8, 7]), 1, 2), 8);
  assert.deepEqual(calls, [[1, 2]]);
  assert.equal(custom<number>({ serialize: (v) => Buffer.from([v]), deserialize: (b) => b[0]! }).deserializeRange, undefined);
});

/** A value of two bytes (a, b): deserializeRange refuses a value whose first byte is 0xee, deserialize never does. */
function pairSerde(calls: { range: number; whole: number }): Serde<{ a: number; b: number }> {
  return custom({
    name: 'pair',
    serialize: (v) => Buffer.from([v.a, v.b]),
    deserialize: (bytes) => {
      calls.whole++;
      return { a: bytes[0]!, b: bytes[1]! };
    },
    deserializeRange: (bytes, start, end) => {
      calls.range++;
      if (end - start !== 2) throw new RangeError(`pair: ${end - start} bytes`);
      if (bytes[start] === 0xee) throw new TypeError('pair: refused');
      return { a: bytes[start]!, b: bytes[start + 1]! };
    },
  });
}

test('a source fed the columns of a fetch reads keys and values in place; what deserializeRange refuses is dead-lettered', () => {
  const calls = { range: 0, whole: 0 };
  const app = new StreamsApp({ applicationId: 'ranges' });
  app
    .stream('in', { key: string(), value: pairSerde(calls) })
    .mapValues((v, k) => `${k}:${v.a + v.b}`)
    .to('out', { value: string() });
  const driver = new TopologyTestDriver(app);
  const input: RecordInput[] = [
    { key: Buffer.from('k1'), value: Buffer.from([1, 2]), timestamp: 10 },
    { key: Buffer.from('k2'), value: Buffer.from([0xee, 2]), timestamp: 11 },
    { key: Buffer.from('k3'), value: Buffer.from([5]), timestamp: 12 },
    { key: Buffer.from('grüße'), value: Buffer.from([3, 4]), timestamp: 13 },
  ];
  const records = encodeRecordBatch({ records: input });
  const { batch } = decodeFetchedBatch(
    { topic: 'in', partition: 0, fetchOffset: 0, records, abortedTransactions: null, nextOffset: 4, highWatermark: 4, lastStableOffset: 4 },
    false,
    Infinity,
  );
  driver.allTasks[0]!.process(batch);
  assert.deepEqual(
    driver.peekAll('out').map((r) => r.value!.toString()),
    ['k1:3', 'grüße:7'],
  );
  assert.deepEqual(calls, { range: 4, whole: 0 });
  const dlq = driver.peekAll('ranges-dlq');
  assert.deepEqual(
    dlq.map((r) => [r.key?.toString(), r.headers.find((h) => h.key === 'tributary.source.offset')?.value?.toString()]),
    [
      ['k2', '1'],
      ['k3', '2'],
    ],
  );
  // The dead letter keeps the record's own bytes.
  assert.deepEqual(dlq.map((r) => [...r.value!]), [[0xee, 2], [5]]);
});

test("string() encodes and decodes exactly as Buffer's UTF-8 (ASCII by a loop, the rest through Buffer)", () => {
  const s = string();
  const text = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.constantFrom('', 'k42', 'x'.repeat(12), 'x'.repeat(13), 'é'.repeat(12), 'a\u00ff', 'a\ud800b'));
  fc.assert(
    fc.property(text, (v) => {
      assert.equal(s.serialize(v).toString('hex'), Buffer.from(v, 'utf8').toString('hex'));
    }),
    { numRuns: 2000 },
  );
  const ascii = fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a.map((b) => b & 0x7f)));
  const bytes = fc.oneof(ascii, fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)));
  fc.assert(
    fc.property(bytes, fc.nat(8), (b, at) => {
      const chunk = Buffer.concat([Buffer.alloc(at, 0x61), b, Buffer.from([0xc3])]);
      const expected = b.toString('utf8');
      assert.equal(s.deserializeRange!(chunk, at, at + b.length), expected);
      assert.equal(s.deserialize(b), expected);
    }),
    { numRuns: 2000 },
  );
});
