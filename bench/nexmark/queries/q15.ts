/**
 * q15 (bidding statistics report): per day, bids, distinct bidders and distinct auctions, in
 * total and per price rank (< 10,000; < 1,000,000; the rest).
 *
 *   SELECT DATE_FORMAT(dateTime, 'yyyy-MM-dd') AS day, count(*), count(*) filter (...), ...,
 *          count(distinct bidder) [filter (...)], count(distinct auction) [filter (...)]
 *   FROM bid GROUP BY day
 *
 * An updating aggregation (Flink's output is a retract stream): every bid emits the day's new
 * row; the last row per day is the result. A process() keyed by day (bid-stats.ts); an aggregate
 * with distinct counts in map state would make it direct.
 */
import { json, type ValueState } from '../../../src/index.js';
import { BidStatsState, emptyCounts, statsOf, type BidStats, type Counts } from './bid-stats.js';
import { eventBinary } from '../event-binary.js';
import { day, emit, isBid, textKey, type NexmarkQuery } from './query.js';

export interface Q15Row extends BidStats {
  day: string;
}

export const q15: NexmarkQuery = {
  name: 'q15',
  title: 'bidding statistics per day, with distinct counts',
  reads: { bid: [] },
  build(events, output) {
    const rows = events
      .filter(isBid)
      .keyBy((b) => day(b.dateTime), { key: textKey(), value: eventBinary(), name: 'q15-by-day' })
      .process<string, Q15Row>(() => {
        let counts!: ValueState<Counts>;
        let stats!: BidStatsState;
        return {
          init(ctx) {
            counts = ctx.state.value('counts');
            stats = new BidStatsState(ctx.state);
          },
          process(r, ctx) {
            const c = counts.get() ?? emptyCounts();
            stats.add(c, r.value);
            counts.set(c);
            ctx.forward(ctx.key, { day: ctx.key, ...statsOf(c) });
          },
        };
      }, { name: 'q15-stats' });
    emit(rows, output, json<Q15Row>());
  },
};
