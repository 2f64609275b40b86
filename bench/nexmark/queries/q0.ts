/**
 * q0 (passthrough): SELECT auction, bidder, price, dateTime, extra FROM bid.
 * Measures the cost of reading, parsing and writing events with no work in between.
 */
import { emit, isBid, type NexmarkQuery } from './query.js';
import { rowJson } from './row-json.js';

export interface Q0Row {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  extra: string;
}

/** Q0Row as JSON (JSON.stringify's bytes, written straight into a Buffer: row-json.ts). */
export const q0RowJson = rowJson<Q0Row>(
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

export const q0: NexmarkQuery = {
  name: 'q0',
  title: 'passthrough: every bid',
  reads: { bid: ['extra'] },
  build(events, output) {
    const rows = events
      .filter(isBid)
      .mapValues((b): Q0Row => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra }));
    emit(rows, output, q0RowJson);
  },
};
