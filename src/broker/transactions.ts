import { ErrorCodes } from '../protocol/index.js';
import type { RequestContext } from './context.js';
import { codeOf } from './errors.js';

/**
 * The Kafka code for an error of the transaction coordinator (or of the log's producer-state
 * checks). PRODUCER_FENCED exists on the wire only from some version of each API on (KIP-588):
 * older versions get INVALID_PRODUCER_EPOCH, as Kafka answers them.
 */
export function txnErrorCode(ctx: RequestContext, e: unknown, what: string, producerFencedSince: number): number {
  const code = codeOf(ctx, e, what);
  if (code === ErrorCodes.PRODUCER_FENCED && ctx.apiVersion < producerFencedSince) return ErrorCodes.INVALID_PRODUCER_EPOCH;
  return code;
}

/** A producer id on the wire (int64) as the log keeps it; -1 for anything outside the safe range. */
export function producerIdOf(id: bigint): number {
  return id >= 0n && id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : -1;
}
