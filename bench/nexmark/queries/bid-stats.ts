/**
 * The aggregate behind q15 and q16: count(*) and count(DISTINCT bidder), count(DISTINCT auction),
 * each in total and per price rank (Flink's `filter (where price < 10000)` and so on). Distinct
 * values are kept in map state as a bit mask of the ranks they were seen in, so each bid costs
 * two map reads and at most two writes, like Flink's distinct-aggregate MapState.
 */
import type { MapState, ValueState, KeyedState } from '../../../src/index.js';
import type { Bid } from '../model.js';
import { priceRank } from './query.js';

export interface BidStats {
  total_bids: number;
  rank1_bids: number;
  rank2_bids: number;
  rank3_bids: number;
  total_bidders: number;
  rank1_bidders: number;
  rank2_bidders: number;
  rank3_bidders: number;
  total_auctions: number;
  rank1_auctions: number;
  rank2_auctions: number;
  rank3_auctions: number;
}

/** [bids, bids per rank x3, bidders, bidders per rank x3, auctions, auctions per rank x3]. */
export type Counts = number[];

export function statsOf(c: Counts): BidStats {
  return {
    total_bids: c[0]!,
    rank1_bids: c[1]!,
    rank2_bids: c[2]!,
    rank3_bids: c[3]!,
    total_bidders: c[4]!,
    rank1_bidders: c[5]!,
    rank2_bidders: c[6]!,
    rank3_bidders: c[7]!,
    total_auctions: c[8]!,
    rank1_auctions: c[9]!,
    rank2_auctions: c[10]!,
    rank3_auctions: c[11]!,
  };
}

export class BidStatsState {
  private readonly bidders: MapState<number, number>;
  private readonly auctions: MapState<number, number>;

  constructor(state: KeyedState) {
    this.bidders = state.map('bidders');
    this.auctions = state.map('auctions');
  }

  /** Adds the bid to the counts (in place). */
  add(c: Counts, b: Bid): void {
    const r = priceRank(b.price);
    c[0]!++;
    c[1 + r]!++;
    this.distinct(this.bidders, b.bidder, r, c, 4);
    this.distinct(this.auctions, b.auction, r, c, 8);
  }

  private distinct(seen: MapState<number, number>, id: number, rank: number, c: Counts, at: number): void {
    const mask = seen.get(id) ?? 0;
    const bit = 1 << rank;
    if ((mask & bit) !== 0) return;
    if (mask === 0) c[at]!++;
    c[at + 1 + rank]!++;
    seen.set(id, mask | bit);
  }
}

export const emptyCounts = (): Counts => new Array<number>(12).fill(0);
export type { ValueState };
