/**
 * Straightforward reference evaluations for the engine tests: plain loops over the input in
 * arrival order, written from the documented semantics (docs/semantics.md), sharing no code
 * with the engine.
 */

export interface Ev {
  key: string;
  ts: number;
  n: number;
  /** Source partition the record was written to. */
  partition?: number;
}

/**
 * The watermark each record is judged by: the max event time seen before it in its source
 * partition, minus the allowed out-of-orderness (−∞ for a partition's first record).
 */
export function stamps(events: readonly Ev[], maxOutOfOrderness: number): number[] {
  const max = new Map<number, number>();
  return events.map((e) => {
    const p = e.partition ?? 0;
    const m = max.get(p) ?? -Infinity;
    max.set(p, Math.max(m, e.ts));
    return m - maxOutOfOrderness;
  });
}

/** Tumbling/hopping windows [start, start+size) containing ts. */
export function windowStarts(ts: number, size: number, advance: number): number[] {
  const out: number[] = [];
  for (let s = Math.floor(ts / advance) * advance; s > ts - size; s -= advance) out.unshift(s);
  return out;
}

export function windowKey(key: string, start: number): string {
  return `${key}@${start}`;
}

/** Final aggregates of time windows (only windows still open for each record count it). */
export function timeWindowReference(
  events: readonly Ev[],
  opts: { size: number; advance?: number; grace: number; ooo: number },
  fold: (acc: number | undefined, e: Ev) => number,
): { results: Map<string, number>; late: Ev[] } {
  const advance = opts.advance ?? opts.size;
  const st = stamps(events, opts.ooo);
  const results = new Map<string, number>();
  const late: Ev[] = [];
  events.forEach((e, i) => {
    const open = windowStarts(e.ts, opts.size, advance).filter((s) => s + opts.size + opts.grace > st[i]!);
    if (open.length === 0) late.push(e);
    for (const s of open) results.set(windowKey(e.key, s), fold(results.get(windowKey(e.key, s)), e));
  });
  return { results, late };
}

/** Final sessions: on-time records (ts + grace >= watermark) grouped per key, split at gaps >= gap. */
export function sessionReference(
  events: readonly Ev[],
  opts: { gap: number; grace: number; ooo: number },
): { sessions: Map<string, { start: number; end: number; count: number; sum: number }>; late: Ev[] } {
  const st = stamps(events, opts.ooo);
  const late: Ev[] = [];
  const byKey = new Map<string, Ev[]>();
  events.forEach((e, i) => {
    if (e.ts + opts.grace < st[i]!) {
      late.push(e);
      return;
    }
    const l = byKey.get(e.key) ?? [];
    l.push(e);
    byKey.set(e.key, l);
  });
  const sessions = new Map<string, { start: number; end: number; count: number; sum: number }>();
  for (const [key, list] of byKey) {
    list.sort((a, b) => a.ts - b.ts);
    let cur: { start: number; last: number; count: number; sum: number } | undefined;
    const flush = () => {
      if (cur) sessions.set(windowKey(key, cur.start), { start: cur.start, end: cur.last + opts.gap, count: cur.count, sum: cur.sum });
    };
    for (const e of list) {
      if (cur && e.ts - cur.last < opts.gap) {
        cur.last = e.ts;
        cur.count++;
        cur.sum += e.n;
      } else {
        flush();
        cur = { start: e.ts, last: e.ts, count: 1, sum: e.n };
      }
    }
    flush();
  }
  return { sessions, late };
}

/** A record of a stream-stream join test: which side, its key, event time and a number to name it. */
export interface JoinSide {
  side: 'L' | 'R';
  key: string;
  ts: number;
  n: number;
}

/**
 * The windowed stream-stream join computed directly: on-time records (ts + grace >= their
 * partition's watermark; left is partition 0, right 1), every pair within `within` as
 * `key:l/r@max(ts)`, unmatched ones alone (`key:l/-@ts`, `key:-/r@ts`) for left and outer joins.
 */
export function joinReference(
  events: readonly JoinSide[],
  kind: 'inner' | 'left' | 'outer',
  o: { within: number; grace: number; maxOutOfOrderness: number },
): { out: string[]; late: number } {
  const st = stamps(
    events.map((e): Ev => ({ key: e.key, ts: e.ts, n: e.n, partition: e.side === 'L' ? 0 : 1 })),
    o.maxOutOfOrderness,
  );
  const onTime = events.filter((e, i) => e.ts + o.grace >= st[i]!);
  const L = onTime.filter((e) => e.side === 'L');
  const R = onTime.filter((e) => e.side === 'R');
  const out: string[] = [];
  const matchedR = new Set<JoinSide>();
  for (const a of L) {
    const partners = R.filter((b) => b.key === a.key && Math.abs(a.ts - b.ts) <= o.within);
    for (const b of partners) {
      out.push(`${a.key}:${a.n}/${b.n}@${Math.max(a.ts, b.ts)}`);
      matchedR.add(b);
    }
    if (partners.length === 0 && kind !== 'inner') out.push(`${a.key}:${a.n}/-@${a.ts}`);
  }
  if (kind === 'outer') for (const b of R) if (!matchedR.has(b)) out.push(`${b.key}:-/${b.n}@${b.ts}`);
  return { out: out.sort(), late: events.length - onTime.length };
}
