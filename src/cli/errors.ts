import { isTributaryError } from '../records/errors.js';
import { EXIT_FAILURE, EXIT_USAGE } from './exit-codes.js';

/**
 * A failure the CLI itself detects, with a code for `error: CODE: message` and the exit code it
 * maps to (so a missing application file is a usage error, a wrong export a failure).
 */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A mistake in the command line that commander cannot see (a value out of range, a malformed option). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Turns any error into one line on stderr and an exit code: users get `error: CODE: message`, never a stack trace
 * (set TRIBUTARY_DEBUG=1 to see it).
 */
export function reportError(e: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (process.env.TRIBUTARY_DEBUG && e instanceof Error) stderr.write(`${e.stack}\n`);
  if (e instanceof UsageError) {
    stderr.write(`error: ${e.message}\n`);
    return EXIT_USAGE;
  }
  if (e instanceof CliError) {
    stderr.write(`error: ${e.code}: ${e.message}\n`);
    return e.exitCode;
  }
  if (isTributaryError(e)) {
    stderr.write(`error: ${e.code}: ${e.message}\n`);
    return EXIT_FAILURE;
  }
  const message = e instanceof Error ? e.message : String(e);
  stderr.write(`error: ${message.split('\n')[0]}\n`);
  return EXIT_FAILURE;
}
