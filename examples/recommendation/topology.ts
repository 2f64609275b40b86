import { hopping, json, session, string, topK, type Duration, type Sink, type StreamsApp } from '../../src/index.js';
import { TOPICS, type ItemView, type Recommendations, type Trending } from './events.js';

export interface RecommendationOptions {
  /** Trending window and how often it slides; default '10m' every '1m'. */
  readonly trendingWindow?: Duration;
  readonly trendingAdvance?: Duration;
  /** Items in the trending list; default 10. */
  readonly trendingSize?: number;
  /** Space-Saving counters; counts are exact while the window has at most this many distinct items. Default 1000. */
  readonly trendingCapacity?: number;
  /** A user session ends after this much inactivity; default '30m'. */
  readonly sessionGap?: Duration;
  /** Recommendations per item; default 5. */
  readonly recommendations?: number;
  readonly maxOutOfOrderness?: Duration;
}

export interface RecommendationSinks {
  readonly trending: Sink<string, Trending>;
  readonly recommendations: Sink<string, Recommendations>;
}

/** Items sorted by count descending, then name: a stable order for equal counts. */
export function ranked(counts: Readonly<Record<string, number>>, n: number): Array<[string, number]> {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, n);
}

/** Sorted union of two sorted lists of distinct items. */
function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

/**
 * Recommendations over `item-views` (keyed by user):
 * - `trending-items`: the top items of a sliding window (Space-Saving top-K), keyed 'all';
 * - `recommendations`: per item, the items viewed in the same user sessions most often ("viewed
 *   together"), updated each time a session closes (30 min without a view).
 */
export function recommendation(app: StreamsApp, o: RecommendationOptions = {}): RecommendationSinks {
  const views = app.stream(TOPICS.views, { key: string(), value: json<ItemView>(), timestamp: (v) => v.ts, maxOutOfOrderness: o.maxOutOfOrderness ?? '30s' });

  const trending = views
    .keyBy(() => 'all', { key: string(), name: 'all-views' })
    .window(hopping(o.trendingWindow ?? '10m', o.trendingAdvance ?? '1m'), { name: 'trending-window' })
    .aggregate(topK((v: ItemView) => v.item, o.trendingSize ?? 10, { capacity: o.trendingCapacity ?? 1000 }), { name: 'trending' })
    .toStream()
    .map((top, w) => [w.key, { start: w.start, end: w.end, top: top.map((e) => ({ item: e.item, views: e.count })) } satisfies Trending] as const)
    .to(TOPICS.trending, { key: string(), value: json<Trending>() });

  const n = o.recommendations ?? 5;
  const recommendations = views
    .groupByKey({ name: 'by-user' })
    .window(session(o.sessionGap ?? '30m'), { name: 'sessions' })
    .aggregate(
      (): string[] => [],
      (items, v) => (items.includes(v.item) ? items : union(items, [v.item])),
      (a, b) => union(a, b),
      { name: 'session-items' },
    )
    .toStream()
    // Every ordered pair of distinct items of the session: "b was viewed together with a".
    .flatMap((items) => items.flatMap((a) => items.filter((b) => b !== a).map((b) => [a, b] as const)))
    .keyBy((b, a) => a, { key: string(), value: string(), name: 'by-item' })
    .aggregate(
      (): Record<string, number> => ({}),
      (counts, b) => {
        counts[b] = (counts[b] ?? 0) + 1;
        return counts;
      },
      { name: 'co-views' },
    )
    .toStream()
    .map((counts, item) => [item, { item, viewedTogether: ranked(counts, n).map(([other, sessions]) => ({ item: other, sessions })) } satisfies Recommendations] as const)
    .to(TOPICS.recommendations, { key: string(), value: json<Recommendations>() });

  return { trending, recommendations };
}
