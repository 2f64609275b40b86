import { toMillis, type Duration } from './duration.js';
import { TopologyError } from './errors.js';
import type { RuntimeOptions } from './runtime/options.js';

/** The application's identity and semantics, plus how it runs (RuntimeOptions: the log, the guarantee, ...). */
export interface StreamsAppOptions extends RuntimeOptions {
  /** Names the application's internal topics (`<applicationId>-...`), consumer group and transactional ids. */
  readonly applicationId: string;
  /**
   * Where records that cannot be processed go (undecodable, a user function threw, late with no
   * `.late()` consumer): a topic name, default `<applicationId>-dlq`; or 'fail' to stop the task.
   */
  readonly deadLetter?: string | 'fail';
  /** Default bounded out-of-orderness of sources (default 0): watermark = max event time − this. */
  readonly maxOutOfOrderness?: Duration;
  /** An input partition with no data for this long (wall clock) stops holding the watermark back (default '30s'). */
  readonly idleTimeout?: Duration;
  /**
   * When a task receives nothing at all for this long (wall clock), its watermark advances with
   * the wall clock, so windows of a stream that went quiet still close. Default: never.
   */
  readonly closeIdleWindowsAfter?: Duration;
}

export interface ResolvedOptions {
  readonly applicationId: string;
  readonly deadLetter: string | 'fail';
  readonly maxOutOfOrderness: number;
  readonly idleTimeout: number;
  readonly closeIdleWindowsAfter: number;
}

export function resolveOptions(o: StreamsAppOptions): ResolvedOptions {
  if (!o.applicationId || !/^[A-Za-z0-9._-]+$/.test(o.applicationId)) {
    throw new TopologyError(`applicationId must be non-empty and use only letters, digits, '.', '_' and '-'`);
  }
  return {
    applicationId: o.applicationId,
    deadLetter: o.deadLetter ?? `${o.applicationId}-dlq`,
    maxOutOfOrderness: toMillis(o.maxOutOfOrderness ?? 0, 'maxOutOfOrderness'),
    idleTimeout: toMillis(o.idleTimeout ?? '30s', 'idleTimeout'),
    closeIdleWindowsAfter:
      o.closeIdleWindowsAfter === undefined ? Infinity : toMillis(o.closeIdleWindowsAfter, 'closeIdleWindowsAfter'),
  };
}
