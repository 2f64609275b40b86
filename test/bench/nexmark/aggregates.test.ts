// q15-q19: the updating aggregations; the last row per key (the final state of Flink's retract
// stream) against a direct evaluation of the SQL over the same events.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { q15, type Q15Row } from '../../../bench/nexmark/queries/q15.js';
import { q16, type Q16Row } from '../../../bench/nexmark/queries/q16.js';
import { q17, type Q17Row } from '../../../bench/nexmark/queries/q17.js';
import { q18, type Q18Row } from '../../../bench/nexmark/queries/q18.js';
import { q19, type Q19Row } from '../../../bench/nexmark/queries/q19.js';
import type { Bid } from '../../../bench/nexmark/model.js';
import { bids, lastPerKey, runQuery } from './support.js';

const dayOf = (t: number): string => new Date(t).toISOString().slice(0, 10);
const ranks: Array<(p: number) => boolean> = [(p) => p < 10_000, (p) => p >= 10_000 && p < 1_000_000, (p) => p >= 1_000_000];

/** count(*), count(distinct bidder), count(distinct auction), each total and with the three rank filters. */
function stats(group: readonly Bid[]): Record<string, number> {
  const row: Record<string, number> = {};
  const sets = (bs: readonly Bid[]): [number, number, number] => [bs.length, new Set(bs.map((b) => b.bidder)).size, new Set(bs.map((b) => b.auction)).size];
  [row.total_bids, row.total_bidders, row.total_auctions] = sets(group);
  ranks.forEach((inRank, i) => {
    [row[`rank${i + 1}_bids`], row[`rank${i + 1}_bidders`], row[`rank${i + 1}_auctions`]] = sets(group.filter((b) => inRank(b.price)));
  });
  return row;
}

function groupBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x]);
  return m;
}

test('q15: bids, distinct bidders and auctions per day, per price rank', () => {
  const expected = new Map([...groupBy(bids(), (b) => dayOf(b.dateTime))].map(([d, g]) => [d, { day: d, ...stats(g) }]));
  const got = lastPerKey(runQuery<Q15Row>(q15), (r) => r.day);
  assert.ok([...expected.values()].every((r) => (r as Record<string, unknown>).rank1_bids !== 0 && (r as Record<string, unknown>).rank3_bidders !== 0));
  assert.deepEqual(new Map([...got].map(([k, v]) => [k, { ...v }])), expected);
});

test('q16: q15 per channel and day, with the latest minute', () => {
  const groups = groupBy(bids(), (b) => `${b.channel}|${dayOf(b.dateTime)}`);
  const expected = new Map(
    [...groups].map(([k, g]) => {
      const minute = g.map((b) => new Date(b.dateTime).toISOString().slice(11, 16)).sort().at(-1)!;
      return [k, { channel: g[0]!.channel, day: dayOf(g[0]!.dateTime), minute, ...stats(g) }];
    }),
  );
  assert.ok(expected.size > 100, `${expected.size} channels`);
  assert.deepEqual(lastPerKey(runQuery<Q16Row>(q16), (r) => `${r.channel}|${r.day}`), expected);
});

test('q17: per auction and day, counts per rank and min/max/avg/sum of the price', () => {
  const groups = groupBy(bids(), (b) => `${b.auction}|${dayOf(b.dateTime)}`);
  const expected = new Map(
    [...groups].map(([k, g]) => {
      const prices = g.map((b) => b.price);
      const sum = prices.reduce((a, b) => a + b, 0);
      return [k, {
        auction: g[0]!.auction, day: dayOf(g[0]!.dateTime), total_bids: g.length,
        rank1_bids: prices.filter(ranks[0]!).length, rank2_bids: prices.filter(ranks[1]!).length, rank3_bids: prices.filter(ranks[2]!).length,
        min_price: Math.min(...prices), max_price: Math.max(...prices), avg_price: Math.trunc(sum / g.length), sum_price: sum,
      }];
    }),
  );
  assert.deepEqual(lastPerKey(runQuery<Q17Row>(q17), (r) => `${r.auction}|${r.day}`), expected);
});

test('q18: the last bid of each bidder on each auction', () => {
  const expected = new Map<string, Q18Row>();
  for (const b of bids()) {
    const k = `${b.bidder}:${b.auction}`;
    const old = expected.get(k);
    if (!old || b.dateTime >= old.dateTime) expected.set(k, { auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, url: b.url, dateTime: b.dateTime, extra: b.extra });
  }
  const got = lastPerKey(runQuery<Q18Row>(q18), (r) => `${r.bidder}:${r.auction}`);
  assert.ok(expected.size < bids().length, 'some bidders bid twice on an auction');
  assert.deepEqual(got, expected);
});

test('q19: the 10 highest bids of each auction, ties in arrival order', () => {
  const expected = new Map<string, Q19Row>();
  for (const [k, g] of groupBy(bids(), (b) => String(b.auction))) {
    const top = g
      .map((b, i) => ({ b, i }))
      .sort((x, y) => y.b.price - x.b.price || x.i - y.i)
      .slice(0, 10)
      .map(({ b }, r) => ({ auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, url: b.url, dateTime: b.dateTime, extra: b.extra, rank_number: r + 1 }));
    expected.set(k, { auction: Number(k), ranking: top });
  }
  assert.ok([...expected.values()].some((r) => r.ranking.length === 10));
  assert.deepEqual(lastPerKey(runQuery<Q19Row>(q19), (r) => String(r.auction)), expected);
});
