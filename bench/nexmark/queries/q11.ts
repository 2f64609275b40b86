/**
 * q11 (user sessions): bids per bidder per session (10 s of inactivity closes it).
 *
 *   SELECT bidder, count(*), SESSION_START(dateTime, 10 s), SESSION_END(dateTime, 10 s)
 *   FROM bid GROUP BY bidder, SESSION(dateTime, 10 s)
 *
 * Direct: the engine's session windows (end = last bid + gap, as Flink's SESSION_END).
 */
import { json, session, type Windowed } from '../../../src/index.js';
import { eventBinary } from '../event-binary.js';
import { emit, idKey, isBid, type NexmarkQuery } from './query.js';

export interface Q11Row {
  bidder: number;
  bid_count: number;
  starttime: number;
  endtime: number;
}

export const q11: NexmarkQuery = {
  name: 'q11',
  title: 'user sessions: bids per bidder per 10 s-gap session',
  reads: { bid: [] },
  build(events, output) {
    const rows = events
      .filter(isBid)
      .keyBy((b) => b.bidder, { key: idKey(), value: eventBinary(), name: 'q11-by-bidder' })
      .window(session('10s'), { name: 'q11-session' })
      .count({ name: 'q11-count' })
      .toStream()
      .mapValues((n: number, w: Windowed<number>): Q11Row => ({ bidder: w.key, bid_count: n, starttime: w.start, endtime: w.end }));
    emit(rows, output, json<Q11Row>());
  },
};
