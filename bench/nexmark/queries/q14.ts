/**
 * q14 (calculation, with a user function): bids priced between 1,000,000 and 50,000,000 euro-cents
 * exclusive, in euro, tagged 'dayTime' (hour 8-18), 'nightTime' (hour <= 6 or >= 20) or
 * 'otherTime', with count_char(extra, 'c'): how many 'c's the extra string holds. Hours are UTC.
 */
import { json } from '../../../src/index.js';
import type { Bid } from '../model.js';
import { toEuro } from './q1.js';
import { emit, isBid, type NexmarkQuery } from './query.js';

export interface Q14Row {
  auction: number;
  bidder: number;
  price: number;
  bidTimeType: 'dayTime' | 'nightTime' | 'otherTime';
  dateTime: number;
  extra: string;
  c_counts: number;
}

export function bidTimeType(ms: number): Q14Row['bidTimeType'] {
  const hour = new Date(ms).getUTCHours();
  if (hour >= 8 && hour <= 18) return 'dayTime';
  if (hour <= 6 || hour >= 20) return 'nightTime';
  return 'otherTime';
}

/** nexmark's CountChar UDF. */
export function countChar(s: string, c: string): number {
  const code = c.charCodeAt(0);
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) === code) n++;
  return n;
}

export const q14: NexmarkQuery = {
  name: 'q14',
  title: 'calculation: euro prices in a band, time-of-day tag, a UDF on extra',
  reads: { bid: ['extra'] },
  build(events, output) {
    const rows = events
      .filter((e): e is Bid => {
        if (!isBid(e)) return false;
        const euro = toEuro(e.price);
        return euro > 1_000_000 && euro < 50_000_000;
      })
      .mapValues(
        (b): Q14Row => ({
          auction: b.auction,
          bidder: b.bidder,
          price: toEuro(b.price),
          bidTimeType: bidTimeType(b.dateTime),
          dateTime: b.dateTime,
          extra: b.extra,
          c_counts: countChar(b.extra, 'c'),
        }),
      );
    emit(rows, output, json<Q14Row>());
  },
};
