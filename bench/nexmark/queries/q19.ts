/**
 * q19 (auction top-10 price): the 10 highest bids of each auction.
 *
 *   SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY auction ORDER BY price DESC)
 *                  AS rank_number FROM bid) WHERE rank_number <= 10
 *
 * Flink emits row changes (insert/delete per rank); here each change of an auction's top 10
 * emits the auction's whole ranking, the last one per auction being the result. Equal prices
 * keep their arrival order (a new bid goes below the ones it ties with). keyBy(auction), then a
 * process() with two state values: the auction's ranking, and its floor (the 10th price, once
 * there are 10). A bid at or below the floor — most bids once an auction has 10 — reads only
 * the floor, not the ranking, and emits nothing (a profile showed decoding and re-encoding the
 * whole list on every bid as a third of the query's CPU). A top-N operator would make it direct.
 */
import { json, type ValueState } from '../../../src/index.js';
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

/** Inserts `b` into the ranking (below the bids it ties with), keeping at most N. */
function insert(list: Bid[], b: Bid): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.price < b.price) i--;
  list.splice(i, 0, b);
  if (list.length > N) list.length = N;
}

export const q19: NexmarkQuery = {
  name: 'q19',
  title: 'top 10 bids per auction',
  build(events, output) {
    events
      .filter(isBid)
      .keyBy((b) => b.auction, { key: idKey(), name: 'q19-by-auction' })
      .process<number, Q19Row>(() => {
        let top!: ValueState<Bid[]>;
        let floor!: ValueState<number>;
        return {
          init(ctx) {
            top = ctx.state.value('top');
            floor = ctx.state.value('floor');
          },
          process(r, ctx) {
            const b = r.value;
            const f = floor.get();
            if (f !== undefined && b.price <= f) return;
            const list = top.get() ?? [];
            insert(list, b);
            top.set(list);
            if (list.length === N) floor.set(list[N - 1]!.price);
            ctx.forward(ctx.key, {
              auction: ctx.key,
              ranking: list.map((x, i) => ({ auction: x.auction, bidder: x.bidder, price: x.price, channel: x.channel, url: x.url, dateTime: x.dateTime, extra: x.extra, rank_number: i + 1 })),
            });
          },
        };
      }, { name: 'q19-top' })
      .to(output, { value: json<Q19Row>() });
  },
};
