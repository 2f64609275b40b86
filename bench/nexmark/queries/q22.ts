/**
 * q22 (string splitting): auction, bidder, price, channel and SPLIT_INDEX(url, '/', 3|4|5): the
 * 4th-6th '/'-separated parts of the bid's URL (0-based; null when the URL has fewer parts).
 */
import { json } from '../../../src/index.js';
import { emit, isBid, type NexmarkQuery } from './query.js';

export interface Q22Row {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  dir1: string | null;
  dir2: string | null;
  dir3: string | null;
}

/** Flink's SPLIT_INDEX(s, sep, i). */
export function splitIndex(s: string, sep: string, index: number): string | null {
  return s.split(sep)[index] ?? null;
}

export const q22: NexmarkQuery = {
  name: 'q22',
  title: 'string splitting: directories of the bid URL',
  reads: { bid: ['channel', 'url'] },
  build(events, output) {
    const rows = events
      .filter(isBid)
      .mapValues((b): Q22Row => {
        const parts = b.url.split('/');
        return { auction: b.auction, bidder: b.bidder, price: b.price, channel: b.channel, dir1: parts[3] ?? null, dir2: parts[4] ?? null, dir3: parts[5] ?? null };
      });
    emit(rows, output, json<Q22Row>());
  },
};
