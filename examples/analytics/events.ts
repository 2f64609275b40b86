/** What the analytics example reads and writes. */

export type ClickKind = 'view' | 'cart' | 'purchase';

/** One clickstream event, keyed by user. */
export interface ClickEvent {
  readonly user: string;
  readonly kind: ClickKind;
  readonly page: string;
  readonly item: string;
  readonly category: string;
  /** Set on purchases: the amount paid, in cents (integers add up exactly). */
  readonly priceCents?: number;
  /** Event time, ms. */
  readonly ts: number;
}

/** Page views and unique visitors of one page in one minute. */
export interface PageStats {
  readonly page: string;
  readonly start: number;
  readonly end: number;
  readonly views: number;
  /** Distinct users (HyperLogLog estimate; exact for small counts in practice). */
  readonly uniqueVisitors: number;
}

/** How far one user's funnel got: 'view' (abandoned), 'cart' (abandoned cart) or 'purchase'. */
export interface FunnelOutcome {
  readonly user: string;
  /** Time of the view that opened the funnel. */
  readonly start: number;
  readonly reached: ClickKind;
  /** Purchase time, or start + window when the funnel timed out. */
  readonly end: number;
}

/** Funnel outcomes per 5 minutes (by the time the funnel ended). */
export interface FunnelConversion {
  readonly start: number;
  readonly end: number;
  readonly funnels: number;
  readonly carts: number;
  readonly purchases: number;
  /** purchases / funnels. */
  readonly conversionRate: number;
}

/** Revenue of one category in one 5-minute window. */
export interface CategoryRevenue {
  readonly category: string;
  readonly start: number;
  readonly end: number;
  readonly revenueCents: number;
  readonly orders: number;
}

export const TOPICS = {
  clicks: 'clicks',
  pageStats: 'page-stats',
  funnelOutcomes: 'funnel-outcomes',
  funnelConversion: 'funnel-conversion',
  categoryRevenue: 'category-revenue',
} as const;
