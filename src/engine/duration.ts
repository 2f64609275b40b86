import { TopologyError } from './errors.js';

/** A length of time: a number of milliseconds, or '250ms' | '5s' | '10m' | '1h' | '1d'. */
export type Duration = number | `${number}ms` | `${number}s` | `${number}m` | `${number}h` | `${number}d`;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a Duration; throws a TopologyError for a malformed or negative one. */
export function toMillis(d: Duration, what = 'duration'): number {
  if (typeof d === 'number') {
    if (!(d >= 0)) throw new TopologyError(`${what} must be a non-negative number of ms, got ${d}`);
    return d;
  }
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(d);
  if (!m) throw new TopologyError(`${what} must look like '250ms', '5s', '10m', '1h' or '1d', got '${d}'`);
  return Number(m[1]) * UNITS[m[2]!]!;
}

export function formatMillis(ms: number): string {
  if (ms === Infinity) return 'never';
  if (ms === 0) return '0';
  for (const [unit, f] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= f && ms % f === 0) return `${ms / f}${unit}`;
  }
  return `${ms}ms`;
}
