/**
 * q6 (average selling price by seller): per seller, the average winning price of their last 10
 * closed auctions, a row each time one of their auctions closes.
 *
 *   nexmark/nexmark's SQL:
 *   SELECT Q.seller, AVG(Q.price) OVER (PARTITION BY Q.seller ORDER BY Q.dateTime
 *                                       ROWS BETWEEN 10 PRECEDING AND CURRENT ROW)
 *   FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY A.id, A.seller ORDER BY B.price DESC) AS rownum
 *         FROM (SELECT A.id, A.seller, B.price, B.dateTime FROM auction A, bid B
 *               WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires)
 *         WHERE rownum <= 1) Q
 *
 * Flink's planner rejects that SQL (an OVER window cannot read ROW_NUMBER's update stream), so
 * this follows what it and Beam's Query6 mean: an auction's winning price is its highest bid
 * placed between its start and its expiry (BETWEEN: both ends inclusive; no reserve check, as the
 * SQL); the auction closes when the watermark passes its expiry (then no bid of its range can
 * still come), and the seller's row is the average (truncated, as AVG of BIGINT) over their last
 * 10 closed auctions, in closing order (expiry, then auction id; Beam's 10, not the SQL's 10 PRECEDING + current = 11).
 * Auctions without a bid in range have no winner and close silently.
 *
 * Stage 1, keyed by auction id: the auction, its highest bid so far, bids that came before it (the
 * generator lets bids name auctions a few ids ahead), an event-time timer at expiry + 1 ms.
 * Stage 2, keyed by seller: the last 10 winning prices; auctions closing at the same time are
 * taken in auction id order. A regular join and an aggregate over the
 * last N rows (an OVER window) would make this direct.
 */
import { json, type ListState, type ValueState } from '../../../src/index.js';
import type { Auction, Bid } from '../model.js';
import { eventBinary } from '../event-binary.js';
import { emit, idKey, type NexmarkQuery } from './query.js';

export interface Q6Row {
  seller: number;
  avg_price: number;
}

/** How many closed auctions per seller the average covers. */
export const Q6_LAST = 10;

interface Winner {
  seller: number;
  price: number;
  auction: number;
  expires: number;
}

/** An open auction's range and seller; 'closed' once its winner went out (later bids are dropped). */
type AuctionState = Pick<Auction, 'dateTime' | 'expires' | 'seller'> | 'closed';

export const q6: NexmarkQuery = {
  name: 'q6',
  title: 'average selling price of the last 10 closed auctions per seller',
  reads: { auction: [], bid: [] },
  build(events, output) {
    const rows = events
      .filter((e): e is Auction | Bid => e.type !== 'person')
      .keyBy((e) => (e.type === 'bid' ? e.auction : e.id), { key: idKey(), value: eventBinary(), name: 'q6-by-auction' })
      .process<number, Winner>(() => {
        let auction!: ValueState<AuctionState>;
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
            const offer = (a: Exclude<AuctionState, 'closed'>, price: number, t: number): void => {
              if (t < a.dateTime || t > a.expires) return;
              const m = max.get();
              if (m === undefined || price > m) max.set(price);
            };
            if (e.type === 'auction') {
              const a = { dateTime: e.dateTime, expires: e.expires, seller: e.seller };
              auction.set(a);
              for (const [price, t] of waiting.get()) offer(a, price, t);
              waiting.clear();
              ctx.timers.registerEventTime(a.expires + 1);
              return;
            }
            const a = auction.get();
            if (a === 'closed') return;
            if (a) offer(a, e.price, e.dateTime);
            else waiting.add([e.price, e.dateTime]);
          },
          onTimer(t, ctx) {
            const a = auction.get();
            if (a === undefined || a === 'closed') return;
            const price = max.get();
            if (price !== undefined) ctx.forward(a.seller, { seller: a.seller, price, auction: ctx.key, expires: a.expires }, { timestamp: a.expires });
            auction.set('closed');
            max.clear();
          },
        };
      }, { name: 'q6-winner' })
      .keyBy((w) => w.seller, { key: idKey(), name: 'q6-by-seller' })
      .process<number, Q6Row>(() => {
        // Auctions of one seller closing at the same millisecond reach this stage in no set
        // order; holding them to a timer at expiry + 1 ms and taking them by auction id makes the
        // rows the same in every run (and in the Flink peer).
        let pending!: ListState<Winner>;
        let last!: ValueState<number[]>;
        return {
          init(ctx) {
            pending = ctx.state.list('closed');
            last = ctx.state.value('last');
          },
          process(r, ctx) {
            pending.add(r.value);
            ctx.timers.registerEventTime(r.value.expires + 1);
          },
          onTimer(t, ctx) {
            const all = pending.get();
            const due = all.filter((w) => w.expires < t.time).sort((x, y) => x.expires - y.expires || x.auction - y.auction);
            if (due.length === 0) return;
            pending.set(all.filter((w) => w.expires >= t.time));
            const prices = last.get() ?? [];
            for (const w of due) {
              prices.push(w.price);
              if (prices.length > Q6_LAST) prices.shift();
              let sum = 0;
              for (const p of prices) sum += p;
              ctx.forward(ctx.key, { seller: ctx.key, avg_price: Math.trunc(sum / prices.length) }, { timestamp: w.expires });
            }
            last.set(prices);
          },
        };
      }, { name: 'q6-average' });
    emit(rows, output, json<Q6Row>());
  },
};
