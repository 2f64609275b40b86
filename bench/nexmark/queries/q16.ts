/**
 * q16 (channel statistics report): q15's statistics per channel and day, plus the latest
 * 'HH:mm' minute seen (max(DATE_FORMAT(dateTime, 'HH:mm'))).
 *
 * An updating aggregation like q15: a process() keyed by channel and day emits the new row per
 * bid; the last row per key is the result.
 */
import { json, type ValueState } from '../../../src/index.js';
import { BidStatsState, emptyCounts, statsOf, type BidStats, type Counts } from './bid-stats.js';
import { eventBinary } from '../event-binary.js';
import { day, emit, hourMinute, isBid, textKey, type NexmarkQuery } from './query.js';

export interface Q16Row extends BidStats {
  channel: string;
  day: string;
  minute: string;
}

export const q16: NexmarkQuery = {
  name: 'q16',
  title: 'channel statistics per day, with distinct counts',
  reads: { bid: ['channel'] },
  build(events, output) {
    const rows = events
      .filter(isBid)
      .keyBy((b) => `${b.channel}\u0000${day(b.dateTime)}`, { key: textKey(), value: eventBinary(), name: 'q16-by-channel-day' })
      .process<string, Q16Row>(() => {
        let counts!: ValueState<{ c: Counts; minute: string }>;
        let stats!: BidStatsState;
        return {
          init(ctx) {
            counts = ctx.state.value('counts');
            stats = new BidStatsState(ctx.state);
          },
          process(r, ctx) {
            const b = r.value;
            const s = counts.get() ?? { c: emptyCounts(), minute: '' };
            stats.add(s.c, b);
            const m = hourMinute(b.dateTime);
            if (m > s.minute) s.minute = m;
            counts.set(s);
            ctx.forward(ctx.key, { channel: b.channel, day: day(b.dateTime), minute: s.minute, ...statsOf(s.c) });
          },
        };
      }, { name: 'q16-stats' });
    emit(rows, output, json<Q16Row>());
  },
};
