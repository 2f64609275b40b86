/** What the recommendation example reads and writes. */

/** A user viewed an item (keyed by user). */
export interface ItemView {
  readonly user: string;
  readonly item: string;
  readonly ts: number;
}

/** The most viewed items of one sliding window. */
export interface Trending {
  readonly start: number;
  readonly end: number;
  readonly top: ReadonlyArray<{ readonly item: string; readonly views: number }>;
}

/** The items most often viewed in the same user session as `item`. */
export interface Recommendations {
  readonly item: string;
  readonly viewedTogether: ReadonlyArray<{ readonly item: string; readonly sessions: number }>;
}

export const TOPICS = {
  views: 'item-views',
  trending: 'trending-items',
  recommendations: 'recommendations',
} as const;
