import { CliError } from './errors.js';
import { EXIT_UNAVAILABLE } from './exit-codes.js';

/** `--bootstrap <host:port,...>`: commands that read the data directory can ask a running broker instead. */
export const BOOTSTRAP_OPTION = ['--bootstrap <host:port,...>', 'ask a running broker instead of reading --data-dir'] as const;

/** For --help: where such a command reads from. */
export const BOOTSTRAP_HELP =
  '\nWithout --bootstrap the data directory is used (it must not be open in another process, e.g. a broker);' +
  '\nwith --bootstrap a running broker is asked over the Kafka protocol (tributary broker or Apache Kafka).';

/** The broker given with --bootstrap cannot be reached. */
export class BrokerUnavailableError extends CliError {
  constructor(bootstrap: string, cause: unknown) {
    super('BROKER_NOT_AVAILABLE', `cannot reach ${bootstrap}: ${cause instanceof Error ? cause.message : String(cause)}`, EXIT_UNAVAILABLE, { cause });
  }
}

export function bootstrapList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Runs `work` with a client of the broker at `bootstrap`, always closes it; an error that is not
 * the CLI's own (a refused request already is) means the broker could not be reached.
 */
export async function withBroker<S extends { close(): Promise<void> }, T>(bootstrap: string, make: (brokers: string[]) => S, work: (source: S) => Promise<T>): Promise<T> {
  const source = make(bootstrapList(bootstrap));
  try {
    return await work(source);
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new BrokerUnavailableError(bootstrap, e);
  } finally {
    await source.close().catch(() => {});
  }
}
