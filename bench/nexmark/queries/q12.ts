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
import { json, type MapState } from '../../../src/index.js';
import { idKey, isBid, type NexmarkQuery } from './query.js';

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
  build(events, output) {
    events
      .filter(isBid)
      .keyBy((b) => b.bidder, { key: idKey(), name: 'q12-by-bidder' })
      .process<number, Q12Row>(() => {
        let counts!: MapState<number, number>;
        return {
          init(ctx) {
            counts = ctx.state.map('counts');
          },
          process(_r, ctx) {
            const start = Math.floor(ctx.wallClock / SIZE) * SIZE;
            const n = counts.get(start);
            if (n === undefined) ctx.timers.registerProcessingTime(start + SIZE);
            counts.set(start, (n ?? 0) + 1);
          },
          onTimer(t, ctx) {
            const start = t.time - SIZE;
            const n = counts.get(start);
            if (n === undefined) return;
            ctx.forward(ctx.key, { bidder: ctx.key, bid_count: n, starttime: start, endtime: t.time });
            counts.delete(start);
          },
        };
      }, { name: 'q12-count' })
      .to(output, { value: json<Q12Row>() });
  },
};
