import { arrivalOrder } from '../shared/arrival.js';
import type { GeneratedRecord } from '../shared/log-io.js';
import { Random } from '../shared/random.js';
import { TOPICS, type ClickEvent } from './events.js';

export interface ClickstreamOptions {
  readonly seed?: number;
  /** Event time of the first click, ms; default 2024-01-01T00:00:00Z. */
  readonly start?: number;
  readonly users?: number;
  readonly items?: number;
  /** Mean event-time gap between two clicks of the whole site, ms; default 200. */
  readonly meanGapMs?: number;
  /** Fraction of clicks that arrive late, by up to maxDelayMs (keep it <= the app's maxOutOfOrderness). */
  readonly lateFraction?: number;
  readonly maxDelayMs?: number;
}

export const CATEGORIES = ['books', 'electronics', 'garden', 'toys', 'grocery'] as const;
const PRICES = [799, 1299, 2499, 4999, 8999, 19999];

/**
 * A deterministic clickstream: users (a few very active, most occasional) browse item pages,
 * some put an item in the cart, some of those buy it — often within minutes, sometimes after
 * the 30-minute funnel window, sometimes never. A fraction of clicks arrives late.
 * Yields records in arrival order; event times start at `start` and advance ~meanGapMs per click.
 */
export function* clickstream(o: ClickstreamOptions = {}): Generator<GeneratedRecord & { value: ClickEvent }> {
  const random = new Random(o.seed ?? 1);
  const users = o.users ?? 400;
  const items = o.items ?? 120;
  const meanGap = o.meanGapMs ?? 200;
  // 0: browsing without a funnel step, 1: viewed, 2: item in cart.
  const stage = new Uint8Array(users);
  const cartItem = new Int32Array(users);
  function* ordered(): Generator<ClickEvent> {
    let t = o.start ?? Date.UTC(2024, 0, 1);
    for (;;) {
      t += Math.max(1, Math.round(random.exponential(meanGap)));
      const u = random.skewed(users, 2.5);
      let kind: ClickEvent['kind'] = 'view';
      let item = random.skewed(items, 1.8);
      const s = stage[u]!;
      const r = random.next();
      if (s === 1 && r < 0.25) {
        kind = 'cart';
        cartItem[u] = item;
        stage[u] = 2;
      } else if (s === 2 && r < 0.3) {
        kind = 'purchase';
        item = cartItem[u]!;
        stage[u] = 0;
      } else if (s === 2 && r < 0.4) {
        stage[u] = 0; // walks away from the cart
      } else {
        stage[u] = 1;
      }
      const category = CATEGORIES[item % CATEGORIES.length]!;
      const e: ClickEvent = {
        user: `user-${u}`,
        kind,
        page: `/item/${item}`,
        item: `item-${item}`,
        category,
        ...(kind === 'purchase' ? { priceCents: PRICES[item % PRICES.length]! } : {}),
        ts: t,
      };
      yield e;
    }
  }
  const disorder = { fraction: o.lateFraction ?? 0.05, maxDelayMs: o.maxDelayMs ?? 20_000 };
  for (const e of arrivalOrder(ordered(), (x) => x.ts, random, disorder)) {
    yield { topic: TOPICS.clicks, key: e.user, value: e, timestamp: e.ts };
  }
}
