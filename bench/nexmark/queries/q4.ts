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
 * maximum per auction id (process(): one state per auction — its window, category and maximum —
 * and the bids that came before it). A new maximum replaces the old one in its category's average
 * (Flink's retraction): stage 1 knows the old one, so it sends the change of the category's sum
 * and count (new - old, and 1 for an auction's first maximum), and stage 2 is a keyed aggregate of
 * those changes per category — no per-auction state in stage 2. Stage 2 sends its updates once
 * per category per input batch (emit 'batch'), as Flink's mini-batch (nexmark's settings, the
 * peer's too) does; the last row per category is the same.
 */
import { custom, json, type ListState, type ProcessorContext, type ValueState } from '../../../src/index.js';
import type { Auction, Bid } from '../model.js';
import { eventBinary } from '../event-binary.js';
import { emit, idKey, type NexmarkQuery } from './query.js';

export interface Q4Row {
  /** The category (the SQL's sink names it id). */
  id: number;
  final: number;
}

/** A category's sum and count changing: an auction's new maximum replaced its old one (or is its first). */
export interface MaxChange {
  category: number;
  /** New maximum - old maximum (the new one, for a first). */
  sum: number;
  /** 1 for an auction's first maximum, else 0. */
  count: number;
}

/** What decoding bytes that are not a MaxChange's throws. */
export class MaxChangeDecodeError extends Error {
  readonly code = 'NEXMARK_MAX_CHANGE_DECODE';
}

/**
 * MaxChange on the hop to stage 2 as three float64s (24 bytes), as Kafka Streams' q4 sends its
 * (category, maximum) pairs as longs: the default value format (V8's structured clone) was ~6 %
 * of q4's CPU time on Kafka.
 */
export const maxChangeBytes = custom<MaxChange>({
  name: 'q4-max-change',
  serialize(m) {
    const b = Buffer.allocUnsafe(24);
    b.writeDoubleLE(m.category, 0);
    b.writeDoubleLE(m.sum, 8);
    b.writeDoubleLE(m.count, 16);
    return b;
  },
  deserialize(b) {
    if (b.length !== 24) throw new MaxChangeDecodeError(`a q4 max change is 24 bytes, not ${b.length}`);
    return { category: b.readDoubleLE(0), sum: b.readDoubleLE(8), count: b.readDoubleLE(16) };
  },
  copy: (m) => ({ category: m.category, sum: m.sum, count: m.count }),
});

/** Stage 1's state per auction: its window and category (once the auction came) and its maximum so far. */
interface AuctionMax {
  dateTime: number;
  expires: number;
  category: number;
  /** -1: no bid in the window yet (prices are positive). */
  max: number;
}

interface Avg {
  sum: number;
  count: number;
}

/** A bid for auction `a` at price and time t: a new maximum in the auction's window changes its category's sum and count. */
function offer(a: AuctionMax, price: number, t: number, ctx: ProcessorContext<number, number, MaxChange>): boolean {
  if (t < a.dateTime || t > a.expires || a.max >= price) return false;
  ctx.forward(ctx.key, { category: a.category, sum: a.max < 0 ? price : price - a.max, count: a.max < 0 ? 1 : 0 });
  a.max = price;
  return true;
}

export const q4: NexmarkQuery = {
  name: 'q4',
  title: 'average winning price per category',
  reads: { auction: [], bid: [] },
  build(events, output) {
    const rows = events
      .filter((e): e is Auction | Bid => e.type !== 'person')
      .keyBy((e) => (e.type === 'bid' ? e.auction : e.id), { key: idKey(), value: eventBinary(), name: 'q4-by-auction' })
      .process<number, MaxChange>(() => {
        let auction!: ValueState<AuctionMax>;
        let waiting!: ListState<[price: number, dateTime: number]>;
        return {
          init(ctx) {
            auction = ctx.state.value('auction');
            waiting = ctx.state.list('bids');
          },
          process(r, ctx) {
            const e = r.value;
            if (e.type === 'auction') {
              const a: AuctionMax = { dateTime: e.dateTime, expires: e.expires, category: e.category, max: -1 };
              for (const [price, t] of waiting.get()) offer(a, price, t, ctx);
              auction.set(a);
              waiting.clear();
              return;
            }
            const a = auction.get();
            if (a === undefined) waiting.add([e.price, e.dateTime]);
            else if (offer(a, e.price, e.dateTime, ctx)) auction.set(a);
          },
        };
      }, { name: 'q4-max' })
      .keyBy((m) => m.category, { key: idKey(), value: maxChangeBytes, name: 'q4-by-category' })
      .aggregate<Avg>(
        () => ({ sum: 0, count: 0 }),
        (acc, m) => {
          acc.sum += m.sum;
          acc.count += m.count;
          return acc;
        },
        { name: 'q4-avg', emit: 'batch' },
      )
      .toStream()
      .mapValues((t, category): Q4Row => ({ id: category, final: Math.trunc(t.sum / t.count) }));
    emit(rows, output, json<Q4Row>());
  },
};
