/**
 * q1 (currency conversion): SELECT auction, bidder, 0.908 * price AS price, dateTime, extra FROM bid.
 * Flink's price is DECIMAL(23, 3); prices are integer cents, so price * 908 / 1000 is exact to the
 * third decimal and we round the double to it.
 */
import { emit, isBid, type NexmarkQuery } from './query.js';
import { q0RowJson, type Q0Row } from './q0.js';

/** q0's row with the price in euro. */
export type Q1Row = Q0Row;

/** 0.908 * price as DECIMAL(23, 3). */
export function toEuro(price: number): number {
  return (price * 908) / 1000;
}

/** Q1Row as JSON: the same fields as q0's row, so the same writer. */
export const q1RowJson = q0RowJson;

export const q1: NexmarkQuery = {
  name: 'q1',
  title: 'currency conversion: bid prices in euro',
  reads: { bid: ['extra'] },
  build(events, output) {
    const rows = events
      .filter(isBid)
      .mapValues((b): Q1Row => ({ auction: b.auction, bidder: b.bidder, price: toEuro(b.price), dateTime: b.dateTime, extra: b.extra }));
    emit(rows, output, q1RowJson);
  },
};
