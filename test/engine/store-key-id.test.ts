/**
 * StoreKeyCodec.id(k) skips encoding for ASCII string keys; it must always equal the latin1
 * string of encode(k), which window state, timers and restore are keyed by.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { StoreKeyCodec } from '../../src/engine/codec.js';
import { custom, json, string } from '../../src/index.js';

const codecs: Array<[string, StoreKeyCodec]> = [
  ['auto', new StoreKeyCodec(undefined)],
  ['string()', new StoreKeyCodec(string() as never)],
  ['json()', new StoreKeyCodec(json() as never)],
  // Named like the built-in but not UTF-8: must take the encoding path.
  ['custom named string', new StoreKeyCodec(custom<string>({ name: 'string', serialize: (v) => Buffer.from(v, 'utf16le'), deserialize: (b) => b.toString('utf16le') }) as never)],
];

test('id(k) equals encode(k) as latin1 for any string, ASCII or not (lone surrogates too)', () => {
  const keys = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), fc.constantFrom('', 'k1', 'é', '\uD800', 'a\uDFFFb', '\x7f\x80'));
  for (const [name, codec] of codecs) {
    fc.assert(
      fc.property(keys, (k) => {
        assert.equal(codec.id(k), codec.encode(k).toString('latin1'), `${name}: ${JSON.stringify(k)}`);
      }),
      { numRuns: 500 },
    );
  }
});

test('id(k) equals encode(k) as latin1 for keys that are not strings', () => {
  const auto = codecs[0]![1];
  for (const k of [0, -1.5, 2n ** 70n, { a: 1 }, [1, 'x'], Buffer.from([0, 255]), true]) {
    assert.equal(auto.id(k), auto.encode(k).toString('latin1'));
  }
});
