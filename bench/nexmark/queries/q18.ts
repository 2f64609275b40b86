/**
 * q18 (find last bid): the latest bid of each bidder on each auction.
 *
 *   SELECT ... FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY bidder, auction
 *                    ORDER BY dateTime DESC) AS rank_number FROM bid) WHERE rank_number <= 1
 *
 * Flink runs this as a deduplication keeping the last row: every newer bid replaces the old
 * one. Direct: keyBy(bidder, auction).reduce(keep the later bid; on equal times the one that came
 * later, as Flink's keep-last-row); the table's updates are the output, once per key per input
 * batch (emit 'batch'), as Flink's mini-batch (nexmark's settings, the peer's too) sends them. The
 * key is one number, bidder * 10^9 + auction (auction ids below 10^9 and bidder ids below 9 * 10^6:
 * up to ~4.5 * 10^8 events), so no string is made per bid.
 */
import { json } from '../../../src/index.js';
import type { Bid } from '../model.js';
import { eventBinary } from '../event-binary.js';
import { emit, idKey, isBid, type NexmarkQuery } from './query.js';

export interface Q18Row {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  url: string;
  dateTime: number;
  extra: string;
}

export const q18: NexmarkQuery = {
  name: 'q18',
  title: 'last bid per bidder and auction',
  reads: { bid: ['channel', 'url', 'extra'] },
  build(events, output) {
    const rows = events
      .filter(isBid)
      .keyBy((b) => b.bidder * 1e9 + b.auction, { key: idKey(), value: eventBinary(), name: 'q18-by-bidder-auction' })
      .reduce((last: Bid, b: Bid) => (b.dateTime >= last.dateTime ? b : last), { name: 'q18-last', emit: 'batch' })
      .toStream()
      .mapValues((b): Q18Row => ({ auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, url: b.url, dateTime: b.dateTime, extra: b.extra }));
    emit(rows, output, json<Q18Row>());
  },
};
