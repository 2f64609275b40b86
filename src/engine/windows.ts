import { formatMillis, toMillis, type Duration } from './duration.js';
import { TopologyError } from './errors.js';

/**
 * Window definitions. A window is [start, end) in event time. Tumbling and hopping windows are
 * aligned to the epoch (start = a multiple of `advance`); session windows are per key and end
 * `gap` after their last record.
 */
export interface TimeWindows {
  readonly kind: 'tumbling' | 'hopping';
  readonly size: number;
  readonly advance: number;
}

export interface SessionWindows {
  readonly kind: 'session';
  readonly gap: number;
}

export type Windows = TimeWindows | SessionWindows;

/** Fixed-size, non-overlapping windows: every record is in exactly one. */
export function tumbling(size: Duration): TimeWindows {
  const s = toMillis(size, 'window size');
  if (s <= 0) throw new TopologyError('window size must be > 0');
  return { kind: 'tumbling', size: s, advance: s };
}

/** Fixed-size windows starting every `advance`: a record is in size/advance of them. */
export function hopping(size: Duration, advance: Duration): TimeWindows {
  const s = toMillis(size, 'window size');
  const a = toMillis(advance, 'window advance');
  if (s <= 0 || a <= 0 || a > s) throw new TopologyError('hopping windows need 0 < advance <= size');
  return { kind: 'hopping', size: s, advance: a };
}

/** Per-key windows of activity: records less than `gap` apart are in the same session. */
export function session(gap: Duration): SessionWindows {
  const g = toMillis(gap, 'session gap');
  if (g <= 0) throw new TopologyError('session gap must be > 0');
  return { kind: 'session', gap: g };
}

/** Start of the last (latest) window containing ts. */
export function lastWindowStart(w: TimeWindows, ts: number): number {
  return Math.floor(ts / w.advance) * w.advance;
}

/** Start of the first (earliest) window containing ts: the first multiple of advance > ts - size. */
export function firstWindowStart(w: TimeWindows, ts: number): number {
  return Math.ceil((ts - w.size + 1) / w.advance) * w.advance;
}

export function describeWindows(w: Windows): string {
  if (w.kind === 'session') return `session(gap ${formatMillis(w.gap)})`;
  if (w.kind === 'tumbling') return `tumbling(${formatMillis(w.size)})`;
  return `hopping(${formatMillis(w.size)}, advance ${formatMillis(w.advance)})`;
}
