// serializePlain writes V8's structured-clone bytes for plain data without V8's serializer: every
// plain value reads back equal with v8.deserialize (and the bytes are v8.serialize's); everything
// else (what V8 writes differently, or what a plain writer could get wrong) is left to V8.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deserialize, serialize } from 'node:v8';
import fc from 'fast-check';
import { serializePlain } from '../../src/engine/plain-serialize.js';
import { decodeState, encodeState } from '../../src/engine/codec.js';

const latin1 = fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const key = latin1.filter((k) => !/^[0-9]/.test(k) && k !== '__proto__');
const num = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-0, 0, NaN, Infinity, -Infinity, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 1.5),
);
const leaf = fc.oneof(num, latin1, fc.boolean(), fc.constant(null), fc.constant(undefined));
const { value } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 6 }),
  object: fc.dictionary(key, tie('value'), { maxKeys: 6, noNullPrototype: true }),
}));

test('plain values are written, and v8.deserialize reads them back as they were', () => {
  fc.assert(
    fc.property(value, (v) => {
      const b = serializePlain(v);
      assert.ok(b !== undefined, 'plain data is written');
      assert.deepStrictEqual(deserialize(b), v);
    }),
    { numRuns: 3000 },
  );
});

test('the bytes are those of v8.serialize (numbers as V8 holds them: small integers as Smis)', () => {
  const values: unknown[] = [
    0, 1, -1, 1073741824, 2147483647, -2147483648, 2147483648, -2147483649, 2 ** 53, 1.5, -0, NaN, Infinity, -Infinity,
    '', 'abc', 'caf\u00e9', true, false, null, undefined,
    [], [1, 'x', null], [[1], [2, [3]]],
    {}, { a: 1 }, { auction: 1001, bidder: 2001, price: 123.25, channel: 'Google', url: 'https://x', dateTime: 1_700_000_000_000, extra: '' },
    [{ n: 3, sum: 10 }, 0], { nested: { deeper: { list: [1, 2, 3] } }, flag: false },
  ];
  for (const v of values) assert.deepEqual(serializePlain(v), serialize(v), JSON.stringify(v));
});

test('what is not plain data is left to V8 (undefined)', () => {
  const shared = { a: 1 };
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const withProp = Object.assign([1, 2], { extra: 3 });
  class Point {
    x = 1;
  }
  const deep: unknown[] = [];
  let d = deep;
  for (let i = 0; i < 40; i++) d.push((d = []));
  const notPlain: unknown[] = [
    new Date(0),
    new Map([[1, 2]]),
    new Set([1]),
    new Point(),
    Object.create(null),
    [1, , 3], // a hole
    withProp,
    { a: shared, b: shared }, // one object twice: V8 keeps the sharing
    cyclic,
    10n,
    'price €',
    { '1': 'an index key' },
    new Proxy({}, {}),
    Buffer.from('x'),
    new Uint8Array(2),
    deep,
    Array.from({ length: 100 }, () => ({})), // more objects than written directly
    'x'.repeat(70_000), // larger than the scratch buffer
  ];
  notPlain.forEach((v, i) => assert.equal(serializePlain(v), undefined, `case ${i}`));
});

test('encodeState: plain states decode as they were, others as V8 writes them', () => {
  const states: unknown[] = [[{ auction: 1, price: 10.5, channel: 'x' }, 0], [7, 12], { n: 1, sum: -0 }, new Date(5), [new Map([[1, 'a']]), 0], 'text', 42, [NaN, undefined, null, true]];
  for (const s of states) assert.deepStrictEqual(decodeState(encodeState(s)), s);
});
