/** q2 (selection): SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0. */
import type { Bid } from '../model.js';
import { emit, isBid, type NexmarkQuery } from './query.js';
import { rowJson } from './row-json.js';

export interface Q2Row {
  auction: number;
  price: number;
}

/** Q2Row as JSON (JSON.stringify's bytes, written straight into a Buffer: row-json.ts). */
export const q2RowJson = rowJson<Q2Row>(
  [
    ['auction', 'number'],
    ['price', 'number'],
  ],
  (w, r) => {
    w.number(r.auction);
    w.number(r.price);
  },
);

export const q2: NexmarkQuery = {
  name: 'q2',
  title: 'selection: bids on every 123rd auction',
  reads: { bid: [] },
  build(events, output) {
    const rows = events
      .filter((e): e is Bid => isBid(e) && e.auction % 123 === 0)
      .mapValues((b): Q2Row => ({ auction: b.auction, price: b.price }));
    emit(rows, output, q2RowJson);
  },
};
