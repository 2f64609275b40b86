// q0, q1, q2, q14, q22: stateless queries, checked row for row (in input order) against a plain
// evaluation of their SQL over the same events.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { q0 } from '../../../bench/nexmark/queries/q0.js';
import { q1 } from '../../../bench/nexmark/queries/q1.js';
import { q2 } from '../../../bench/nexmark/queries/q2.js';
import { q14 } from '../../../bench/nexmark/queries/q14.js';
import { q22 } from '../../../bench/nexmark/queries/q22.js';
import { bids, runQuery } from './support.js';

test('q0 passes every bid through with its five columns', () => {
  const expected = bids().map((b) => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra }));
  assert.ok(expected.length > 30_000);
  assert.deepEqual(runQuery(q0), expected);
});

test('q1 converts prices to euro (0.908, three decimals)', () => {
  const expected = bids().map((b) => ({ auction: b.auction, bidder: b.bidder, price: Number((0.908 * b.price).toFixed(3)), dateTime: b.dateTime, extra: b.extra }));
  assert.deepEqual(runQuery(q1), expected);
});

test('q2 keeps the bids on auctions divisible by 123', () => {
  const expected = bids()
    .filter((b) => b.auction % 123 === 0)
    .map((b) => ({ auction: b.auction, price: b.price }));
  assert.ok(expected.length > 0, 'the range holds such bids');
  assert.deepEqual(runQuery(q2), expected);
});

test('q14 filters on the euro price band, tags the hour and counts c in extra', () => {
  const expected = bids()
    .filter((b) => 0.908 * b.price > 1_000_000 && 0.908 * b.price < 50_000_000)
    .map((b) => {
      const h = new Date(b.dateTime).getUTCHours();
      return {
        auction: b.auction,
        bidder: b.bidder,
        price: Number((0.908 * b.price).toFixed(3)),
        bidTimeType: h >= 8 && h <= 18 ? 'dayTime' : h <= 6 || h >= 20 ? 'nightTime' : 'otherTime',
        dateTime: b.dateTime,
        extra: b.extra,
        c_counts: [...b.extra].filter((ch) => ch === 'c').length,
      };
    });
  assert.ok(expected.length > 0);
  assert.deepEqual(runQuery(q14), expected);
});

test('q22 splits the URL into its directories', () => {
  const expected = bids().map((b) => {
    const m = /^https?:\/\/[^/]*\/([^/]*)(?:\/([^/]*))?(?:\/([^/]*))?/.exec(b.url)!;
    return { auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, dir1: m[1] ?? null, dir2: m[2] ?? null, dir3: m[3] ?? null };
  });
  assert.ok(expected.some((r) => r.dir3 !== null));
  assert.deepEqual(runQuery(q22), expected);
});
