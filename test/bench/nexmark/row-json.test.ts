// q0-q2's output serdes (bench/nexmark/queries/row-json.ts) must write exactly JSON.stringify's
// bytes for the rows the queries build, including the values that leave the fast path (fractions,
// negative and huge numbers, strings needing escapes, non-ASCII), and the Buffers they return must
// stay intact while later rows are written (a sink may hold them).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { q0RowJson, type Q0Row } from '../../../bench/nexmark/queries/q0.js';
import { q1RowJson, toEuro } from '../../../bench/nexmark/queries/q1.js';
import { q2RowJson } from '../../../bench/nexmark/queries/q2.js';
import { bids } from './support.js';

test('q0-q2 rows of the test events: JSON.stringify bytes, and views that stay valid', () => {
  const kept: Array<[Buffer, string]> = [];
  for (const b of bids()) {
    const r0: Q0Row = { auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra };
    const r1 = { ...r0, price: toEuro(b.price) };
    const r2 = { auction: b.auction, price: b.price };
    for (const [bytes, row] of [
      [q0RowJson.serialize(r0), r0],
      [q1RowJson.serialize(r1), r1],
      [q2RowJson.serialize(r2), r2],
    ] as const) {
      const want = JSON.stringify(row);
      assert.equal(bytes.toString('utf8'), want);
      kept.push([bytes, want]);
    }
  }
  assert.ok(kept.length > 100_000, 'more rows than one slab holds');
  for (const [bytes, want] of kept) assert.equal(bytes.toString('utf8'), want, 'an earlier row was overwritten');
});

test('values off the fast path still give JSON.stringify bytes', () => {
  const numbers = [0, 7, 10, 99, 100, 12345678, 99999999, 100000000, 100000001, 4294967295, 4294967296, 1436918400123, 9007199254740991, 9007199254740992, 1e21, -1, -0, 0.5, 908.001, 0.001, 0.05, 0.005, 123.45, 12.3, 98765432.109, 1073741823.999, 1073741824.5, 0.1 + 0.2, 1e-7, 1.0005, -2.5, NaN, Infinity];
  const strings = ['', 'a', 'say "hi"', 'back\\slash', 'tab\tnew\nline', '\u0001', 'Zoë', '€uro', '😀', '\ud800', 'x'.repeat(5000)];
  for (const n of numbers) {
    for (const s of strings) {
      const row: Q0Row = { auction: n, bidder: 1000, price: n, dateTime: n, extra: s };
      assert.equal(q0RowJson.serialize(row).toString('utf8'), JSON.stringify(row), `${n} ${JSON.stringify(s)}`);
    }
  }
  const row = { auction: 1, price: 2 };
  assert.deepEqual(q2RowJson.deserialize(q2RowJson.serialize(row)), row);
});
