// q3, q4, q8, q20: the join queries against nested-loop evaluations of their SQL over the same events.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { q3 } from '../../../bench/nexmark/queries/q3.js';
import { MaxChangeDecodeError, maxChangeBytes, q4, type Q4Row } from '../../../bench/nexmark/queries/q4.js';
import { q8 } from '../../../bench/nexmark/queries/q8.js';
import { q20 } from '../../../bench/nexmark/queries/q20.js';
import { auctions, bids, lastPerKey, persons, runQuery, sorted } from './support.js';

test('q3 joins category-10 auctions with their sellers in OR, ID, CA', () => {
  const expected = [];
  for (const a of auctions()) {
    if (a.category !== 10) continue;
    for (const p of persons()) {
      if (p.id === a.seller && ['OR', 'ID', 'CA'].includes(p.state)) expected.push({ name: p.name, city: p.city, state: p.state, id: a.id });
    }
  }
  assert.ok(expected.length > 10, `${expected.length} rows`);
  assert.deepEqual(sorted(runQuery(q3)), sorted(expected));
});

test('q20 expands each bid on a category-10 auction with the auction', () => {
  const byId = new Map(auctions().map((a) => [a.id, a]));
  const expected = [];
  for (const b of bids()) {
    const a = byId.get(b.auction);
    if (!a || a.category !== 10) continue;
    expected.push({
      auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, url: b.url, bid_dateTime: b.dateTime, bid_extra: b.extra,
      itemName: a.itemName, description: a.description, initialBid: a.initialBid, reserve: a.reserve, auction_dateTime: a.dateTime,
      expires: a.expires, seller: a.seller, category: a.category, auction_extra: a.extra,
    });
  }
  assert.ok(expected.length > 1000, `${expected.length} rows`);
  assert.deepEqual(sorted(runQuery(q20)), sorted(expected));
});

test('q4 averages the winning bid of each auction per category (last update per category)', () => {
  const sums = new Map<number, { sum: number; n: number }>();
  for (const a of auctions()) {
    let max: number | undefined;
    for (const b of bids()) {
      if (b.auction === a.id && b.dateTime >= a.dateTime && b.dateTime <= a.expires && (max === undefined || b.price > max)) max = b.price;
    }
    if (max === undefined) continue;
    const s = sums.get(a.category) ?? { sum: 0, n: 0 };
    s.sum += max;
    s.n++;
    sums.set(a.category, s);
  }
  const expected = new Map([...sums].map(([c, s]) => [String(c), { id: c, final: Math.trunc(s.sum / s.n) }]));
  assert.equal(expected.size, 5);
  const out = runQuery<Q4Row>(q4);
  assert.deepEqual(lastPerKey(out, (r) => String(r.id)), expected);
});

test('q8 finds people who opened an auction in the 10 s window they registered in', () => {
  const win = (t: number): number => Math.floor(t / 10_000) * 10_000;
  const sellers = new Set(auctions().map((a) => `${a.seller}@${win(a.dateTime)}`));
  const expected = persons()
    .filter((p) => sellers.has(`${p.id}@${win(p.dateTime)}`))
    .map((p) => ({ id: p.id, name: p.name, stime: win(p.dateTime) }));
  assert.ok(expected.length > 10, `${expected.length} rows`);
  assert.deepEqual(sorted(runQuery(q8)), sorted(expected));
});

test("q4's max changes cross to stage 2 as 24 bytes and back, and other bytes throw a typed error", () => {
  for (const m of [{ category: 10, sum: 12_345_678, count: 1 }, { category: 14, sum: -250, count: 0 }, { category: 11, sum: 0.5, count: 0 }]) {
    const b = maxChangeBytes.serialize(m);
    assert.equal(b.length, 24);
    assert.deepEqual(maxChangeBytes.deserialize(b), m);
  }
  assert.throws(() => maxChangeBytes.deserialize(Buffer.alloc(23)), (e: unknown) => e instanceof MaxChangeDecodeError && e.code === 'NEXMARK_MAX_CHANGE_DECODE');
});
