/**
 * q8 (monitor new users): people who opened an auction in the same 10 s tumbling window in which
 * they registered.
 *
 *   SELECT P.id, P.name, P.starttime FROM (people per TUMBLE 10 s) P
 *   JOIN (sellers per TUMBLE 10 s) A ON P.id = A.seller AND same window
 *
 * A window join: a process() keyed by person id holding, per open window, the person's name and
 * whether an auction of theirs came; it emits once both are there (Flink emits at the window end:
 * same rows, earlier) and forgets the window at its end (event-time timer). The engine's
 * stream-stream join is an interval join (|t1 - t2| <= within), not a same-window join; a
 * window-join operator would make this direct.
 */
import { json, type MapState } from '../../../src/index.js';
import type { Auction, Person } from '../model.js';
import { eventBinary } from '../event-binary.js';
import { emit, idKey, type NexmarkQuery } from './query.js';

export interface Q8Row {
  id: number;
  name: string;
  stime: number;
}

const SIZE = 10_000;

interface Pair {
  name?: string;
  seller: boolean;
  emitted: boolean;
}

export const q8: NexmarkQuery = {
  name: 'q8',
  title: 'monitor new users: sellers registered in the same 10 s window',
  reads: { person: ['name'], auction: [] },
  build(events, output) {
    const rows = events
      .filter((e): e is Person | Auction => e.type !== 'bid')
      .keyBy((e) => (e.type === 'person' ? e.id : e.seller), { key: idKey(), value: eventBinary(), name: 'q8-by-person' })
      .process<number, Q8Row>(() => {
        let windows!: MapState<number, Pair>;
        return {
          init(ctx) {
            windows = ctx.state.map('windows');
          },
          process(r, ctx) {
            const e = r.value;
            const start = Math.floor(e.dateTime / SIZE) * SIZE;
            if (start + SIZE <= ctx.watermark) return; // late: the window is closed
            const w = windows.get(start) ?? { seller: false, emitted: false };
            if (w.seller === false && w.name === undefined) ctx.timers.registerEventTime(start + SIZE);
            if (e.type === 'person') w.name = e.name;
            else w.seller = true;
            if (!w.emitted && w.seller && w.name !== undefined) {
              ctx.forward(ctx.key, { id: ctx.key, name: w.name, stime: start });
              w.emitted = true;
            }
            windows.set(start, w);
          },
          onTimer(t) {
            windows.delete(t.time - SIZE);
          },
        };
      }, { name: 'q8-join' });
    emit(rows, output, json<Q8Row>());
  },
};
