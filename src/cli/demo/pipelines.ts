import { StreamsApp } from '../../engine/app.js';
import { json, string } from '../../engine/serdes.js';
import { hopping, session, tumbling } from '../../engine/windows.js';
import type { LogConnector } from '../../connectors/log.js';
import type { Click } from './clickstream.js';

export const DEMO_TOPICS = {
  clicks: 'clicks',
  pageViews: 'page-views',
  trending: 'trending-pages',
  sessions: 'user-sessions',
  alerts: 'error-alerts',
  errors: 'error-events',
  late: 'late-clicks',
} as const;

export interface PageViews {
  page: string;
  start: number;
  end: number;
  views: number;
}

export interface Trending {
  start: number;
  end: number;
  top: { page: string; views: number }[];
}

export interface UserSession {
  user: string;
  start: number;
  end: number;
  clicks: number;
  pages: number;
}

export interface ErrorAlert {
  start: number;
  end: number;
  requests: number;
  errors: number;
  errorRate: number;
}

export interface ErrorEvent {
  user: string;
  page: string;
  status: number;
  country: string;
  ts: number;
  sentAt: number;
}

export interface DemoOptions {
  log: LogConnector;
  /** Alert when more than this fraction of a 10 s window's requests failed. */
  alertThreshold: number;
  processingGuarantee?: 'exactly-once' | 'at-least-once';
}

/**
 * The demo's pipelines, one application over the `clicks` topic (keyed by user):
 * - page views per page per 10 s tumbling window (emitted when the window closes; late clicks to `late-clicks`);
 * - the top 5 pages over 1 min windows sliding every 10 s;
 * - per-user sessions (30 s inactivity gap);
 * - an error-rate alert per 10 s window above a threshold;
 * - failed requests passed straight through (the low-latency path the end-to-end latency is measured on).
 */
export function clickstreamApp(o: DemoOptions): StreamsApp {
  const app = new StreamsApp({ applicationId: 'tributary-demo', log: o.log, processingGuarantee: o.processingGuarantee ?? 'exactly-once' });
  const clicks = app.stream(DEMO_TOPICS.clicks, { key: string(), value: json<Click>(), timestamp: (c) => c.ts, maxOutOfOrderness: '3s', idleTimeout: '5s' });

  const views = clicks.keyBy((c) => c.page, { key: string(), name: 'by-page' }).window(tumbling('10s'), { grace: '1s', name: 'page-views' });
  views
    .count()
    .toStream()
    .map((n, w) => [w.key, { page: w.key, start: w.start, end: w.end, views: n } satisfies PageViews] as const)
    .to(DEMO_TOPICS.pageViews, { key: string(), value: json<PageViews>() });
  views.late().to(DEMO_TOPICS.late, { key: string(), value: json<Click>() });

  clicks
    .keyBy(() => 'site', { key: string(), name: 'site' })
    .window(hopping('1m', '10s'), { name: 'trending' })
    .aggregate(
      () => ({} as Record<string, number>),
      (acc, c) => {
        acc[c.page] = (acc[c.page] ?? 0) + 1;
        return acc;
      },
    )
    .toStream()
    .map((counts, w) => {
      const top = Object.entries(counts)
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
        .slice(0, 5)
        .map(([page, n]) => ({ page, views: n }));
      return [w.key, { start: w.start, end: w.end, top } satisfies Trending] as const;
    })
    .to(DEMO_TOPICS.trending, { key: string(), value: json<Trending>() });

  clicks
    .groupByKey({ name: 'by-user' })
    .window(session('30s'), { name: 'sessions' })
    .aggregate(
      () => ({ clicks: 0, pages: [] as string[] }),
      (acc, c) => {
        acc.clicks++;
        if (!acc.pages.includes(c.page)) acc.pages.push(c.page);
        return acc;
      },
      (a, b) => ({ clicks: a.clicks + b.clicks, pages: [...new Set([...a.pages, ...b.pages])] }),
    )
    .toStream()
    .map((s, w) => [w.key, { user: w.key, start: w.start, end: w.end, clicks: s.clicks, pages: s.pages.length } satisfies UserSession] as const)
    .to(DEMO_TOPICS.sessions, { key: string(), value: json<UserSession>() });

  clicks
    .keyBy(() => 'site', { key: string(), name: 'site-errors' })
    .window(tumbling('10s'), { name: 'error-rate' })
    .aggregate(
      () => ({ requests: 0, errors: 0 }),
      (acc, c) => ({ requests: acc.requests + 1, errors: acc.errors + (c.status >= 500 ? 1 : 0) }),
    )
    .toStream()
    .filter((a) => a.requests > 0 && a.errors / a.requests > o.alertThreshold)
    .map((a, w) => [w.key, { start: w.start, end: w.end, requests: a.requests, errors: a.errors, errorRate: a.errors / a.requests } satisfies ErrorAlert] as const)
    .to(DEMO_TOPICS.alerts, { key: string(), value: json<ErrorAlert>() });

  clicks
    .filter((c) => c.status >= 500)
    .mapValues((c): ErrorEvent => ({ user: c.user, page: c.page, status: c.status, country: c.country, ts: c.ts, sentAt: c.sentAt }))
    .to(DEMO_TOPICS.errors, { key: string(), value: json<ErrorEvent>() });

  return app;
}
