/**
 * q0 (passthrough): SELECT auction, bidder, price, dateTime, extra FROM bid.
 * Measures the cost of reading, parsing and writing events with no work in between.
 */
import { json } from '../../../src/index.js';
import { isBid, type NexmarkQuery } from './query.js';

export interface Q0Row {
  auction: number;
  bidder: number;
  price: number;
  dateTime: number;
  extra: string;
}

export const q0: NexmarkQuery = {
  name: 'q0',
  title: 'passthrough: every bid',
  build(events, output) {
    events
      .filter(isBid)
      .mapValues((b): Q0Row => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, extra: b.extra }))
      .to(output, { value: json<Q0Row>() });
  },
};
