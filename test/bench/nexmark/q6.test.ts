// q6: the average winning price of each seller's last 10 closed auctions, against a direct
// evaluation over the same events: every auction's highest bid in [dateTime, expires], the
// auctions taken in closing order (expiry, then id), a running average over each seller's last 10.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { q6, Q6_LAST, type Q6Row } from '../../../bench/nexmark/queries/q6.js';
import { generateEvents } from '../../../bench/nexmark/generator.js';
import type { Auction, Bid } from '../../../bench/nexmark/model.js';
import { runQuery, sorted } from './support.js';

/**
 * More auctions per seller than the shared 40K events give (about 1 each): 60,000 events at
 * 200 events/s of event time, so auctions live long enough to be bid on and sellers repeat.
 */
const events = generateEvents(60_000, { firstEventRate: 200, nextEventRate: 200 });
const auctions = events.filter((e): e is Auction => e.type === 'auction');
const bids = events.filter((e): e is Bid => e.type === 'bid');

function expectedRows(): Map<number, number[]> {
  const byAuction = new Map<number, Bid[]>();
  for (const b of bids) {
    const list = byAuction.get(b.auction);
    if (list) list.push(b);
    else byAuction.set(b.auction, [b]);
  }
  const closed = auctions
    .map((a) => ({ a, prices: (byAuction.get(a.id) ?? []).filter((b) => b.dateTime >= a.dateTime && b.dateTime <= a.expires).map((b) => b.price) }))
    .filter((x) => x.prices.length > 0)
    .sort((x, y) => x.a.expires - y.a.expires || x.a.id - y.a.id);
  const perSeller = new Map<number, number[]>(); // seller -> its averages, in order
  const last = new Map<number, number[]>();
  for (const { a, prices } of closed) {
    const window = [...(last.get(a.seller) ?? []), Math.max(...prices)].slice(-Q6_LAST);
    last.set(a.seller, window);
    const avgs = perSeller.get(a.seller) ?? [];
    avgs.push(Math.trunc(window.reduce((s, p) => s + p, 0) / window.length));
    perSeller.set(a.seller, avgs);
  }
  return perSeller;
}

test('q6: per seller, the average winning price of their last 10 closed auctions, per closed auction', () => {
  const expected = expectedRows();
  const got = runQuery<Q6Row>(q6, events);
  const gotPerSeller = new Map<number, number[]>();
  for (const r of got) {
    const avgs = gotPerSeller.get(r.seller) ?? [];
    avgs.push(r.avg_price);
    gotPerSeller.set(r.seller, avgs);
  }
  // the data reaches past the 10-auction window, so dropping the oldest price is exercised
  assert.ok([...expected.values()].some((xs) => xs.length > Q6_LAST + 2), 'a seller with more than 12 closed auctions');
  const byId = new Map(auctions.map((a) => [a.id, a]));
  assert.ok(bids.some((b) => b.dateTime > (byId.get(b.auction)?.expires ?? Infinity)), 'some bids come after their auction expired');
  assert.deepEqual(sorted(got), sorted([...expected].flatMap(([seller, avgs]) => avgs.map((avg_price) => ({ seller, avg_price })))));
  assert.deepEqual(gotPerSeller, expected);
});
