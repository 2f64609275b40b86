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
