/**
 * q5 (hot items): per 10 s window sliding every 2 s, the auctions with the most bids.
 *
 *   SELECT auction, num FROM (count(*) per auction per HOP(2 s, 10 s) window) AuctionBids
 *   JOIN (max of those counts per window) MaxBids
 *   ON same window AND AuctionBids.num >= MaxBids.maxn
 *
 * The counts are the engine's hopping-window count per auction; the per-window maximum is a
 * process() keyed by window start that keeps the window's maximum count and the rows at it and,
 * on an event-time timer at the window end (when every count of that window has arrived), emits
 * them. A "top-N per window" operator (or an aggregate over a windowed table, grouped by
 * window) would make the second stage direct. Rows carry the window as starttime/endtime.
 *
 * Only what each stage reads crosses a repartition, as Flink's plan projects before its
 * exchanges: the auction id (its bid's event time is the record's timestamp) into the count, and
 * the rows as four numbers into the maximum (not V8's structured clone of an object).
 */
import { custom, hopping, json, type Serde, type ValueState, type Windowed } from '../../../src/index.js';
import { emit, idKey, isBid, type NexmarkQuery } from './query.js';

export interface Q5Row {
  auction: number;
  num: number;
  starttime: number;
  endtime: number;
}

/** A row as four big-endian doubles (ids, counts and times are safe integers), not V8's structured clone. */
export const q5RowSerde: Serde<Q5Row> = custom<Q5Row>({
  name: 'q5-row',
  serialize: (r) => {
    const b = Buffer.allocUnsafe(32);
    b.writeDoubleBE(r.auction, 0);
    b.writeDoubleBE(r.num, 8);
    b.writeDoubleBE(r.starttime, 16);
    b.writeDoubleBE(r.endtime, 24);
    return b;
  },
  deserialize: (b) => ({ auction: b.readDoubleBE(0), num: b.readDoubleBE(8), starttime: b.readDoubleBE(16), endtime: b.readDoubleBE(24) }),
  // What deserialize(serialize(r)) gives, made directly: a repartition in one process hands this over.
  copy: (r) => ({ auction: r.auction, num: r.num, starttime: r.starttime, endtime: r.endtime }),
});

export const q5: NexmarkQuery = {
  name: 'q5',
  title: 'hot items: most-bid auctions per 10 s window, every 2 s',
  reads: { bid: [] },
  build(events, output) {
    const rows = events
      .filter(isBid)
      .mapValues((b) => b.auction)
      .keyBy((auction) => auction, { key: idKey(), value: idKey(), name: 'q5-by-auction' })
      .window(hopping('10s', '2s'), { name: 'q5-window' })
      .count({ name: 'q5-count' })
      .toStream()
      .map((num: number, w: Windowed<number>): readonly [number, Q5Row] => [w.start, { auction: w.key, num, starttime: w.start, endtime: w.end }])
      .keyBy((row) => row.starttime, { key: idKey(), value: q5RowSerde, name: 'q5-by-window' })
      .process<number, Q5Row>(() => {
        // Only the rows at the window's current maximum: a count below it can never be emitted.
        let top!: ValueState<{ max: number; rows: Q5Row[] }>;
        return {
          init(ctx) {
            top = ctx.state.value('top');
          },
          process(r, ctx) {
            const row = r.value;
            const t = top.get();
            if (t === undefined) {
              top.set({ max: row.num, rows: [row] });
              ctx.timers.registerEventTime(row.endtime);
            } else if (row.num > t.max) top.set({ max: row.num, rows: [row] });
            else if (row.num === t.max) top.set({ max: t.max, rows: [...t.rows, row] });
          },
          onTimer(_t, ctx) {
            for (const row of top.get()?.rows ?? []) ctx.forward(ctx.key, row);
            top.clear();
          },
        };
      }, { name: 'q5-max' });
    emit(rows, output, json<Q5Row>());
  },
};
