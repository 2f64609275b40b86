/**
 * q1 (currency conversion): SELECT auction, bidder, 0.908 * price AS price, dateTime, extra FROM bid.
 * Flink's price is DECIMAL(23, 3); prices are integer cents, so price * 908 / 1000 is exact to the
 * third decimal and we round the double to it.
 */
import { isBid, type NexmarkQuery } from './query.js';
import { rowJson } from './row-json.js';

export interface Q1Row {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  extra: string;
}

/** 0.908 * price as DECIMAL(23, 3). */
export function toEuro(price: number): number {
  return (price * 908) / 1000;
}

/** Q1Row as JSON (JSON.stringify's bytes, written straight into a Buffer: row-json.ts). */
export const q1RowJson = rowJson<Q1Row>(
  [
    ['auction', 'number'],
    ['bidder', 'number'],
    ['price', 'number'],
    ['dateTime', 'number'],
    ['extra', 'string'],
  ],
  (w, r) => {
    w.number(r.auction);
    w.number(r.bidder);
    w.number(r.price);
    w.number(r.dateTime);
    w.string(r.extra);
  },
  (r) => r.extra.length,
);

export const q1: NexmarkQuery = {
  name: 'q1',
  title: 'currency conversion: bid prices in euro',
  build(events, output) {
    events
      .filter(isBid)
      .mapValues((b): Q1Row => ({ auction: b.auction, bidder: b.bidder, price: toEuro(b.price), dateTime: b.dateTime, extra: b.extra }))
      .to(output, { value: q1RowJson });
  },
};
