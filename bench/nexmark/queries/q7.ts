/**
 * q7 (highest bid): the bids carrying the highest price of each 10 s tumbling window.
 *
 *   SELECT B.auction, B.price, B.bidder, B.dateTime, B.extra FROM bid B
 *   JOIN (SELECT MAX(price) AS maxprice, window_end AS dateTime FROM TUMBLE(bid, 10 s)) B1
 *   ON B.price = B1.maxprice WHERE B.dateTime BETWEEN B1.dateTime - 10 s AND B1.dateTime
 *
 * BETWEEN is inclusive at both ends, so a bid at exactly a window's end also matches that
 * window's maximum. One key (the whole stream, as the SQL's global maximum per window), a
 * process() holding per open window its maximum and the bids that may still equal it; an
 * event-time timer at end + 1 ms (every bid up to and including the end has arrived) emits them.
 * The SQL's column order puts price before bidder; the rows name each value by what it is.
 */
import { json, type MapState } from '../../../src/index.js';
import type { Bid } from '../model.js';
import { eventBinary } from '../event-binary.js';
import { emit, idKey, isBid, type NexmarkQuery } from './query.js';

export interface Q7Row {
  auction: number;
  price: number;
  bidder: number;
  dateTime: number;
  extra: string;
}

const SIZE = 10_000;

interface Open {
  /** Highest price over [start, end). */
  max: number;
  /** Bids in [start, end] with price >= max when they came. */
  candidates: Q7Row[];
}

export const q7: NexmarkQuery = {
  name: 'q7',
  title: 'highest bid per 10 s window',
  reads: { bid: ['extra'] },
  build(events, output) {
    const rows = events
      .filter(isBid)
      .keyBy(() => 0, { key: idKey(), value: eventBinary(), name: 'q7-global' })
      .process<number, Q7Row>(() => {
        let open!: MapState<number, Open>;
        return {
          init(ctx) {
            open = ctx.state.map('windows');
          },
          process(r, ctx) {
            const b: Bid = r.value;
            const start = Math.floor(b.dateTime / SIZE) * SIZE;
            if (start + SIZE + 1 <= ctx.watermark) return; // late: its window was emitted
            const row: Q7Row = { auction: b.auction, price: b.price, bidder: b.bidder, dateTime: b.dateTime, extra: b.extra };
            const w = open.get(start);
            if (w === undefined) {
              open.set(start, { max: b.price, candidates: [row] });
              ctx.timers.registerEventTime(start + SIZE + 1);
            } else if (b.price >= w.max) {
              const candidates = b.price > w.max ? w.candidates.filter((c) => c.price >= b.price) : w.candidates;
              candidates.push(row);
              open.set(start, { max: b.price, candidates });
            }
            // A bid at exactly the previous window's end is also in that window's BETWEEN.
            if (b.dateTime === start) {
              const prev = open.get(start - SIZE);
              if (prev !== undefined && b.price >= prev.max) open.set(start - SIZE, { max: prev.max, candidates: [...prev.candidates, row] });
            }
          },
          onTimer(t, ctx) {
            const start = t.time - SIZE - 1;
            const w = open.get(start);
            if (w === undefined) return;
            for (const c of w.candidates) if (c.price === w.max) ctx.forward(0, c, { timestamp: start + SIZE });
            open.delete(start);
          },
        };
      }, { name: 'q7-max' });
    emit(rows, output, json<Q7Row>());
  },
};
