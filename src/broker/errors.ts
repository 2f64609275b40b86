import { isTributaryError } from '../records/errors.js';
import { ProtocolError, errorCodeOf } from '../protocol/index.js';
import type { RequestContext } from './context.js';

/**
 * The Kafka error code for something a handler caught: typed errors map by their Kafka name
 * (errorCodeOf); anything else is a bug on our side, logged, and UNKNOWN_SERVER_ERROR on the wire.
 */
export function codeOf(ctx: RequestContext, e: unknown, what: string): number {
  if (!isTributaryError(e) && !(e instanceof ProtocolError)) {
    ctx.broker.logger.warn(`${what}: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  }
  return errorCodeOf(e);
}

export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Kafka's "not requested" value for authorized-operations fields. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
