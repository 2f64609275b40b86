// q5, q7, q11, q12: the windowed queries against direct evaluations of their windows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { q5 } from '../../../bench/nexmark/queries/q5.js';
import { q7 } from '../../../bench/nexmark/queries/q7.js';
import { q11 } from '../../../bench/nexmark/queries/q11.js';
import { q12 } from '../../../bench/nexmark/queries/q12.js';
import { bids, runQuery, sorted, testEvents } from './support.js';

test('q5 emits the most-bid auctions of every 10 s window sliding by 2 s', () => {
  const counts = new Map<number, Map<number, number>>(); // window start -> auction -> count
  for (const b of bids()) {
    for (let s = Math.ceil((b.dateTime - 10_000 + 1) / 2000) * 2000; s <= b.dateTime; s += 2000) {
      const w = counts.get(s) ?? new Map<number, number>();
      w.set(b.auction, (w.get(b.auction) ?? 0) + 1);
      counts.set(s, w);
    }
  }
  const expected = [];
  for (const [s, w] of counts) {
    const max = Math.max(...w.values());
    for (const [auction, num] of w) if (num >= max) expected.push({ auction, num, starttime: s, endtime: s + 10_000 });
  }
  assert.ok(counts.size >= 20, `${counts.size} windows`);
  assert.deepEqual(sorted(runQuery(q5)), sorted(expected));
});

test('q7 emits the bids at the highest price of each 10 s window (BETWEEN end - 10 s AND end)', () => {
  const max = new Map<number, number>();
  for (const b of bids()) {
    const s = Math.floor(b.dateTime / 10_000) * 10_000;
    max.set(s, Math.max(max.get(s) ?? -1, b.price));
  }
  const expected = [];
  for (const [s, m] of max) {
    for (const b of bids()) {
      if (b.dateTime >= s && b.dateTime <= s + 10_000 && b.price === m) expected.push({ auction: b.auction, price: b.price, bidder: b.bidder, dateTime: b.dateTime, extra: b.extra });
    }
  }
  assert.ok(max.size >= 4);
  assert.deepEqual(sorted(runQuery(q7)), sorted(expected));
});

test('q11 counts bids per bidder session (gap 10 s), end = last bid + 10 s', () => {
  const byBidder = new Map<number, number[]>();
  for (const b of bids()) byBidder.set(b.bidder, [...(byBidder.get(b.bidder) ?? []), b.dateTime]);
  const expected = [];
  for (const [bidder, times] of byBidder) {
    times.sort((a, b) => a - b);
    let start = times[0]!;
    let last = start;
    let n = 0;
    for (const t of times) {
      if (t - last >= 10_000) {
        expected.push({ bidder, bid_count: n, starttime: start, endtime: last + 10_000 });
        start = t;
        n = 0;
      }
      last = t;
      n++;
    }
    expected.push({ bidder, bid_count: n, starttime: start, endtime: last + 10_000 });
  }
  assert.ok(expected.some((r) => r.bid_count > 1) && expected.length > byBidder.size, 'bidders have several sessions');
  assert.deepEqual(sorted(runQuery(q11)), sorted(expected));
});

test('q12 counts bids per bidder per 10 s of wall clock', () => {
  // Event i is processed at wall-clock time i ms: 4 windows over the 40,000 events.
  const counts = new Map<string, { bidder: number; bid_count: number; starttime: number; endtime: number }>();
  testEvents().forEach((e, i) => {
    if (e.type !== 'bid') return;
    const s = Math.floor(i / 10_000) * 10_000;
    const row = counts.get(`${e.bidder}@${s}`) ?? { bidder: e.bidder, bid_count: 0, starttime: s, endtime: s + 10_000 };
    row.bid_count++;
    counts.set(`${e.bidder}@${s}`, row);
  });
  const out = runQuery(q12, testEvents(), { wallClockAt: (i) => i, finalWallClock: 60_000 });
  assert.deepEqual(sorted(out), sorted([...counts.values()]));
});
