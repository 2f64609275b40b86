import { arrivalOrder } from '../shared/arrival.js';
import type { GeneratedRecord } from '../shared/log-io.js';
import { Random } from '../shared/random.js';
import { TOPICS, type ItemView } from './events.js';

export interface ViewsOptions {
  readonly seed?: number;
  readonly start?: number;
  readonly users?: number;
  /** Items come in groups of 10 related ones (a user's session mostly stays in one group). */
  readonly items?: number;
  /** Sessions browsing at the same time. */
  readonly concurrentSessions?: number;
  /** Mean event-time gap between two views of the whole site, ms; default 500. */
  readonly meanGapMs?: number;
  readonly lateFraction?: number;
  readonly maxDelayMs?: number;
}

/**
 * Deterministic item views: users browse in sessions of 2-9 views, mostly within one group of
 * related items (so "viewed together" has structure to find), with popular items in each group
 * and popular groups overall. Records in arrival order, a fraction late.
 */
export function* itemViews(o: ViewsOptions = {}): Generator<GeneratedRecord & { value: ItemView }> {
  const random = new Random(o.seed ?? 3);
  const users = o.users ?? 2_000;
  const groups = Math.max(1, Math.floor((o.items ?? 300) / 10));
  const slots = o.concurrentSessions ?? 40;
  type Session = { user: number; group: number; left: number };
  const fresh = (): Session => ({ user: random.int(users), group: random.skewed(groups, 1.5), left: random.between(2, 9) });
  const active: Session[] = Array.from({ length: slots }, fresh);
  function* ordered(): Generator<ItemView> {
    let t = o.start ?? Date.UTC(2024, 0, 1);
    for (;;) {
      t += Math.max(1, Math.round(random.exponential(o.meanGapMs ?? 500)));
      const i = random.int(slots);
      const s = active[i]!;
      const group = random.chance(0.85) ? s.group : random.skewed(groups, 1.5);
      const item = group * 10 + random.skewed(10, 1.5);
      yield { user: `user-${s.user}`, item: `item-${item}`, ts: t };
      if (--s.left === 0) active[i] = fresh();
    }
  }
  for (const v of arrivalOrder(ordered(), (x) => x.ts, random, { fraction: o.lateFraction ?? 0.05, maxDelayMs: o.maxDelayMs ?? 20_000 })) {
    yield { topic: TOPICS.views, key: v.user, value: v, timestamp: v.ts };
  }
}
