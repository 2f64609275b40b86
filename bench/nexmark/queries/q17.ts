/**
 * q17 (auction statistics report): per auction and day, bids in total and per price rank, and
 * min, max, avg (truncated, as Flink's AVG of BIGINT) and sum of the price.
 *
 * Direct: keyBy(auction, day).aggregate(...); the table's updates are the output (the last row
 * per key is the result, as Flink's retract stream). The updates go out once per key per input
 * batch (emit 'batch'), as Flink's mini-batch (2 s / 50,000 rows in nexmark's settings, the peer's
 * too) sends one per key per mini-batch. The key is one number, auction * 100,000 + the day's
 * number since 1970 (days below 100,000: until the year 2243), so no string is made per bid.
 */
import { json } from '../../../src/index.js';
import type { Bid } from '../model.js';
import { eventBinary } from '../event-binary.js';
import { day, emit, idKey, isBid, priceRank, type NexmarkQuery } from './query.js';

export interface Q17Row {
  auction: number;
  day: string;
  total_bids: number;
  rank1_bids: number;
  rank2_bids: number;
  rank3_bids: number;
  min_price: number;
  max_price: number;
  avg_price: number;
  sum_price: number;
}

const empty = (): Q17Row => ({
  auction: 0,
  day: '',
  total_bids: 0,
  rank1_bids: 0,
  rank2_bids: 0,
  rank3_bids: 0,
  min_price: 0,
  max_price: 0,
  avg_price: 0,
  sum_price: 0,
});

function add(a: Q17Row, b: Bid): Q17Row {
  if (a.total_bids === 0) {
    a.auction = b.auction;
    a.day = day(b.dateTime);
    a.min_price = b.price;
    a.max_price = b.price;
  }
  a.total_bids++;
  const r = priceRank(b.price);
  if (r === 0) a.rank1_bids++;
  else if (r === 1) a.rank2_bids++;
  else a.rank3_bids++;
  if (b.price < a.min_price) a.min_price = b.price;
  if (b.price > a.max_price) a.max_price = b.price;
  a.sum_price += b.price;
  a.avg_price = Math.trunc(a.sum_price / a.total_bids);
  return a;
}

const DAY_MS = 86_400_000;

export const q17: NexmarkQuery = {
  name: 'q17',
  title: 'auction statistics per day',
  reads: { bid: [] },
  build(events, output) {
    const rows = events
      .filter(isBid)
      .keyBy((b) => b.auction * 100_000 + Math.floor(b.dateTime / DAY_MS), { key: idKey(), value: eventBinary(), name: 'q17-by-auction-day' })
      .aggregate<Q17Row>(empty, add, { name: 'q17-stats', emit: 'batch' })
      .toStream();
    emit(rows, output, json<Q17Row>());
  },
};
