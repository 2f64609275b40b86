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
