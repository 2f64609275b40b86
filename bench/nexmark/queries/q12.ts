/**
 * q12 (processing-time windows): bids per bidder per 10 s tumbling window of the wall clock.
 *
 *   SELECT bidder, count(*), window_start, window_end
 *   FROM TUMBLE(bid with PROCTIME() as p_time, DESCRIPTOR(p_time), 10 s) GROUP BY bidder, window
 *
 * The engine's windows are event-time windows, so this is a process() keyed by bidder with
 * processing-time timers: a count per wall-clock window, emitted when the wall clock passes its
 * end. Processing-time windows in window() would make it direct. The result depends on when
 * records are processed (that is the query's point); the test drives the wall clock.
 */
import { json, type ProcessorContext, type ValueState } from '../../../src/index.js';
import { eventBinary } from '../event-binary.js';
import { emit, idKey, isBid, type NexmarkQuery } from './query.js';

export interface Q12Row {
  bidder: number;
  bid_count: number;
  starttime: number;
  endtime: number;
}

const SIZE = 10_000;

export const q12: NexmarkQuery = {
  name: 'q12',
  title: 'processing-time windows: bids per bidder per 10 s of wall clock',
  reads: { bid: [] },
  build(events, output) {
    const rows = events
      .filter(isBid)
      .keyBy((b) => b.bidder, { key: idKey(), value: eventBinary(), name: 'q12-by-bidder' })
      .process<number, Q12Row>(() => {
        // The wall clock only moves forward: a bidder has at most one open window.
        let open!: ValueState<{ start: number; count: number }>;
        const emit = (ctx: ProcessorContext<number, number, Q12Row>, w: { start: number; count: number }): void =>
          ctx.forward(ctx.key, { bidder: ctx.key, bid_count: w.count, starttime: w.start, endtime: w.start + SIZE });
        return {
          init(ctx) {
            open = ctx.state.value('window');
          },
          process(_r, ctx) {
            const start = Math.floor(ctx.wallClock / SIZE) * SIZE;
            const w = open.get();
            if (w !== undefined && w.start === start) {
              open.set({ start, count: w.count + 1 });
              return;
            }
            if (w !== undefined) emit(ctx, w); // its timer has not fired yet
            open.set({ start, count: 1 });
            ctx.timers.registerProcessingTime(start + SIZE);
          },
          onTimer(t, ctx) {
            const w = open.get();
            if (w === undefined || w.start + SIZE !== t.time) return;
            emit(ctx, w);
            open.clear();
          },
        };
      }, { name: 'q12-count' });
    emit(rows, output, json<Q12Row>());
  },
};
