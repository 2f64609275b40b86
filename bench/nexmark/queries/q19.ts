/**
 * q19 (auction top-10 price): the 10 highest bids of each auction.
 *
 *   SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC)
 *                  AS rank_number FROM bid) WHERE rank_number <= 10
 *
 * Flink emits row changes (insert/delete per rank); here each change of an auction's top 10
 * emits the auction's whole ranking, the last one per auction being the result. Equal prices
 * keep their arrival order (a new bid goes below the ones it ties with). Direct:
 * keyBy(auction).aggregate(top-10 list); a bid that does not enter the top 10 emits nothing.
 */
import { json } from '../../../src/index.js';
import type { Bid } from '../model.js';
import { idKey, isBid, type NexmarkQuery } from './query.js';

export interface Q19Ranked {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  url: string;
  dateTime: number;
  extra: string;
  rank_number: number;
}

export interface Q19Row {
  auction: number;
  ranking: Q19Ranked[];
}

const N = 10;

interface Top {
  bids: Bid[];
  /** Whether the last bid changed the ranking. */
  changed: boolean;
}

function add(top: Top, b: Bid): Top {
  const list = top.bids;
  if (list.length === N && b.price <= list[N - 1]!.price) return { bids: list, changed: false };
  let i = list.length;
  while (i > 0 && list[i - 1]!.price < b.price) i--;
  list.splice(i, 0, b);
  if (list.length > N) list.length = N;
  return { bids: list, changed: true };
}

export const q19: NexmarkQuery = {
  name: 'q19',
  title: 'top 10 bids per auction',
  build(events, output) {
    events
      .filter(isBid)
      .keyBy((b) => b.auction, { key: idKey(), name: 'q19-by-auction' })
      .aggregate<Top>(() => ({ bids: [], changed: false }), add, { name: 'q19-top' })
      .toStream()
      .filter((t) => t.changed)
      .mapValues(
        (t, auction): Q19Row => ({
          auction,
          ranking: t.bids.map((b, i) => ({ auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, url: b.url, dateTime: b.dateTime, extra: b.extra, rank_number: i + 1 })),
        }),
      )
      .to(output, { value: json<Q19Row>() });
  },
};
