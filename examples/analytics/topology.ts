import {
  approxDistinct,
  json,
  string,
  tumbling,
  type Duration,
  type Sink,
  type StreamsApp,
} from '../../src/index.js';
import { TOPICS, type CategoryRevenue, type ClickEvent, type FunnelConversion, type FunnelOutcome, type PageStats } from './events.js';
import { FunnelProcessor } from './funnel.js';

export interface AnalyticsOptions {
  /** How late a click may arrive (event time behind the newest one) and still count; default '30s'. */
  readonly maxOutOfOrderness?: Duration;
  /** Page statistics window; default '1m'. */
  readonly pageWindow?: Duration;
  /** A funnel must complete within this long of its first view; default '30m'. */
  readonly funnelWindow?: Duration;
  /** Revenue window; default '5m'. */
  readonly revenueWindow?: Duration;
}

export const FUNNEL_BUCKET_MS = 5 * 60_000;

/** The output sinks, for tests and readers. */
export interface AnalyticsSinks {
  readonly pageStats: Sink<string, PageStats>;
  readonly funnelOutcomes: Sink<string, FunnelOutcome>;
  readonly funnelConversion: Sink<string, FunnelConversion>;
  readonly categoryRevenue: Sink<string, CategoryRevenue>;
}

/**
 * Clickstream KPIs over the `clicks` topic (keyed by user):
 * - `page-stats`: views and unique visitors (HyperLogLog) per page per minute;
 * - `funnel-outcomes`: each user funnel view -> cart -> purchase, completed or timed out after 30 min;
 * - `funnel-conversion`: funnels, carts and purchases per 5 minutes of funnel start, updated as outcomes arrive;
 * - `category-revenue`: revenue and orders per category per 5 minutes.
 */
export function analytics(app: StreamsApp, o: AnalyticsOptions = {}): AnalyticsSinks {
  const clicks = app.stream(TOPICS.clicks, {
    key: string(),
    value: json<ClickEvent>(),
    timestamp: (c) => c.ts,
    maxOutOfOrderness: o.maxOutOfOrderness ?? '30s',
  });

  // Views and unique visitors in one aggregate: a count next to a HyperLogLog sketch of users.
  const uv = approxDistinct((c: ClickEvent) => c.user);
  const pageStats = clicks
    .filter((c) => c.kind === 'view')
    .keyBy((c) => c.page, { key: string(), name: 'by-page' })
    .window(tumbling(o.pageWindow ?? '1m'), { name: 'page-minute' })
    .aggregate(
      () => ({ views: 0, visitors: uv.init() }),
      (acc, c) => ({ views: acc.views + 1, visitors: uv.add(acc.visitors, c) }),
      { name: 'page-stats' },
    )
    .toStream()
    .map((acc, w) => [w.key, { page: w.key, start: w.start, end: w.end, views: acc.views, uniqueVisitors: uv.result(acc.visitors) } satisfies PageStats] as const)
    .to(TOPICS.pageStats, { key: string(), value: json<PageStats>() });

  // The funnel runs per user: the input is keyed by user already, so no repartition.
  const outcomes = clicks.process(() => new FunnelProcessor(o.funnelWindow ?? '30m'), { name: 'funnel' });
  const funnelOutcomes = outcomes.to(TOPICS.funnelOutcomes, { key: string(), value: json<FunnelOutcome>() });

  // Conversion per 5-minute bucket of funnel start: a table keyed by bucket, updated with each outcome
  // (a funnel's outcome comes up to 30 min after its start, so a window would have to wait that long).
  const funnelConversion = outcomes
    .keyBy((f) => String(Math.floor(f.start / FUNNEL_BUCKET_MS) * FUNNEL_BUCKET_MS), { key: string(), name: 'by-bucket' })
    .aggregate(
      () => ({ funnels: 0, carts: 0, purchases: 0 }),
      (acc, f) => ({
        funnels: acc.funnels + 1,
        carts: acc.carts + (f.reached === 'view' ? 0 : 1),
        purchases: acc.purchases + (f.reached === 'purchase' ? 1 : 0),
      }),
      { name: 'conversion' },
    )
    .toStream()
    .map((acc, bucket) => {
      const start = Number(bucket);
      const value: FunnelConversion = { start, end: start + FUNNEL_BUCKET_MS, ...acc, conversionRate: acc.purchases / acc.funnels };
      return [bucket, value] as const;
    })
    .to(TOPICS.funnelConversion, { key: string(), value: json<FunnelConversion>() });

  const categoryRevenue = clicks
    .filter((c) => c.kind === 'purchase')
    .keyBy((c) => c.category, { key: string(), name: 'by-category' })
    .window(tumbling(o.revenueWindow ?? '5m'), { name: 'revenue-window' })
    .aggregate(
      () => ({ revenueCents: 0, orders: 0 }),
      (acc, c) => ({ revenueCents: acc.revenueCents + (c.priceCents ?? 0), orders: acc.orders + 1 }),
      { name: 'revenue' },
    )
    .toStream()
    .map((acc, w) => [w.key, { category: w.key, start: w.start, end: w.end, ...acc } satisfies CategoryRevenue] as const)
    .to(TOPICS.categoryRevenue, { key: string(), value: json<CategoryRevenue>() });

  return { pageStats, funnelOutcomes, funnelConversion, categoryRevenue };
}
