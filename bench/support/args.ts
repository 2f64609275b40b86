/**
 * The benches' command-line parsing: `--name value` options and `--name` switches, each handled by
 * a function of the bench; anything else is an error naming the argument.
 */

/** Per option name: a handler that reads the option's value with `value()` (switches don't call it). */
export type OptionHandlers = Record<string, (value: () => string) => void>;

export class BenchArgumentError extends Error {
  readonly code = 'BENCH_ARGUMENT';
  constructor(message: string) {
    super(message);
    this.name = 'BenchArgumentError';
  }
}

/** Calls the handler of each argument in order; an unknown argument or a missing value throws. */
export function parseOptions(args: readonly string[], handlers: OptionHandlers): void {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const handler = Object.hasOwn(handlers, a) ? handlers[a] : undefined;
    if (!handler) throw new BenchArgumentError(`unknown argument ${a}`);
    handler(() => {
      const v = args[++i];
      if (v === undefined) throw new BenchArgumentError(`${a} needs a value`);
      return v;
    });
  }
}

/** Throws unless every named value is a positive integer. */
export function requirePositiveIntegers(values: Record<string, number>): void {
  for (const [name, n] of Object.entries(values)) {
    if (!Number.isInteger(n) || n < 1) throw new BenchArgumentError(`${name} must be a positive integer`);
  }
}

/** The comma-separated list `text`, each item one of `allowed`. */
export function listOf<T extends string>(option: string, text: string, allowed: readonly T[]): T[] {
  const items = text.split(',');
  for (const s of items) if (!(allowed as readonly string[]).includes(s)) throw new BenchArgumentError(`${option}: one or more of ${allowed.join(', ')}`);
  return items as T[];
}
