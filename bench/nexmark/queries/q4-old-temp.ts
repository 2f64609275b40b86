/**
 * q4 (average price per category): the average, per category, of the winning (highest) bid of
 * each auction, over bids placed between the auction's start and its expiry.
 *
 *   SELECT Q.category, AVG(Q.final) FROM (
 *     SELECT MAX(B.price) AS final, A.category FROM auction A, bid B
 *     WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
 *     GROUP BY A.id, A.category) Q
 *   GROUP BY Q.category
 *
 * An updating query, as in Flink: every change of an auction's maximum updates its category's
 * average (AVG of BIGINT truncates, as Flink's). Stage 1 is the regular join with the running
 * maximum per auction id (process(): the auction, its maximum, bids that came before it); stage 2
 * keeps per category each auction's current maximum and the sum and count over them, so a new
 * maximum replaces the old one (Flink's retraction). A join operator without a window and
 * aggregations that take retractions would make both stages direct.
 */
import { json, type ListState, type MapState, type ValueState } from '../../../src/index.js';
import type { Auction, Bid } from '../model.js';
import { idKey, type NexmarkQuery } from './query.js';

interface Q4Row {
  /** The category (the SQL's sink names it id). */
  id: number;
  final: number;
}

interface AuctionMax {
  auction: number;
  category: number;
  max: number;
}

type Window = Pick<Auction, 'dateTime' | 'expires' | 'category'>;

export const q4Old: NexmarkQuery = {
  name: 'q4',
  title: 'average winning price per category',
  build(events, output) {
    events
      .filter((e): e is Auction | Bid => e.type !== 'person')
      .keyBy((e) => (e.type === 'bid' ? e.auction : e.id), { key: idKey(), name: 'q4-by-auction' })
      .process<number, AuctionMax>(() => {
        let auction!: ValueState<Window>;
        let max!: ValueState<number>;
        let waiting!: ListState<[price: number, dateTime: number]>;
        return {
          init(ctx) {
            auction = ctx.state.value('auction');
            max = ctx.state.value('max');
            waiting = ctx.state.list('bids');
          },
          process(r, ctx) {
            const e = r.value;
            const offer = (a: Window, price: number, t: number): void => {
              if (t < a.dateTime || t > a.expires) return;
              const m = max.get();
              if (m !== undefined && m >= price) return;
              max.set(price);
              ctx.forward(ctx.key, { auction: ctx.key, category: a.category, max: price });
            };
            if (e.type === 'auction') {
              const a: Window = { dateTime: e.dateTime, expires: e.expires, category: e.category };
              auction.set(a);
              for (const [price, t] of waiting.get()) offer(a, price, t);
              waiting.clear();
            } else {
              const a = auction.get();
              if (a) offer(a, e.price, e.dateTime);
              else waiting.add([e.price, e.dateTime]);
            }
          },
        };
      }, { name: 'q4-max' })
      .keyBy((m) => m.category, { key: idKey(), name: 'q4-by-category' })
      .process<number, Q4Row>(() => {
        let maxima!: MapState<number, number>;
        let total!: ValueState<[sum: number, count: number]>;
        return {
          init(ctx) {
            maxima = ctx.state.map('maxima');
            total = ctx.state.value('total');
          },
          process(r, ctx) {
            const m = r.value;
            const old = maxima.get(m.auction);
            maxima.set(m.auction, m.max);
            const [sum, count] = total.get() ?? [0, 0];
            const next: [number, number] = [sum + m.max - (old ?? 0), count + (old === undefined ? 1 : 0)];
            total.set(next);
            ctx.forward(ctx.key, { id: ctx.key, final: Math.trunc(next[0] / next[1]) });
          },
        };
      }, { name: 'q4-avg' })
      .to(output, { value: json<Q4Row>() });
  },
};
