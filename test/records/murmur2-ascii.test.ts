import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { murmur2, murmur2Ascii } from '../../src/records/murmur2.js';

// A sink hashes an ASCII string key without encoding it (a repartition kept in memory): the hash
// must be murmur2 of the key's UTF-8 bytes, or keys would land in other partitions than through
// the topic (and than Java's producer puts them).

test('murmur2Ascii(s) is murmur2 of the UTF-8 bytes of every ASCII string, every length mod 4', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), maxLength: 40 }), (s) => {
      assert.equal(murmur2Ascii(s), murmur2(Buffer.from(s, 'utf8')));
    }),
    { numRuns: 2_000 },
  );
  for (const s of ['', 'k', 'k1', 'k12', 'k123', 'k1234', 'page-17', '\x7f\x00\x7f']) assert.equal(murmur2Ascii(s), murmur2(Buffer.from(s, 'utf8')), s);
});

test('murmur2Ascii declines (-1) a string with any char outside ASCII', () => {
  for (const s of ['é', 'kö', 'abc\u0080', '\u{1f600}', 'x'.repeat(9) + '\u00ff']) assert.equal(murmur2Ascii(s), -1, s);
});
