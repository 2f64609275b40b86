import { InvalidArgumentError } from 'commander';

/** commander argument parsers that reject bad numbers with a clear usage error instead of NaN. */
export function nonNegativeInt(name: string) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a non-negative integer, got '${value}'`);
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`${name} is too large: ${value}`);
    return n;
  };
}

export function positiveInt(name: string) {
  const parse = nonNegativeInt(name);
  return (value: string): number => {
    const n = parse(value);
    if (n === 0) throw new InvalidArgumentError(`${name} must be at least 1`);
    return n;
  };
}

/** `--config k=v` may repeat; each occurrence adds one entry. */
export function collectConfig(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`config must be key=value, got '${value}'`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export const DEFAULT_DATA_DIR = './tributary-data';

/** `--duration 30s` (or 500ms, 2m, 1h) in milliseconds; a malformed one is a usage error. */
export function durationMillis(name: string) {
  return (value: string): number => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
    if (!m) throw new InvalidArgumentError(`${name} must be a duration like 500ms, 30s, 2m or 1h, got '${value}'`);
    const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    if (!(ms > 0) || !Number.isSafeInteger(Math.round(ms))) throw new InvalidArgumentError(`${name} must be positive, got '${value}'`);
    return Math.round(ms);
  };
}
