/** q2 (selection): SELECT auction, price FROM bid WHERE MOD(auction, 123) = 0. */
import { json } from '../../../src/index.js';
import type { Bid } from '../model.js';
import { isBid, type NexmarkQuery } from './query.js';

export interface Q2Row {
  auction: number;
  price: number;
}

export const q2: NexmarkQuery = {
  name: 'q2',
  title: 'selection: bids on every 123rd auction',
  build(events, output) {
    events
      .filter((e): e is Bid => isBid(e) && e.auction % 123 === 0)
      .mapValues((b): Q2Row => ({ auction: b.auction, price: b.price }))
      .to(output, { value: json<Q2Row>() });
  },
};
