import type { RecordContext } from '../records.js';

/**
 * User functions as operators hold them: the typed API checks the types, operators see unknown.
 * (An operator is shared by every record type, so it cannot be generic in them without a cast
 * somewhere; the cast is in one place, `erase`.)
 */
export type UserFn<R> = (value: unknown, key: unknown, record: RecordContext) => R;

export function erase<R>(f: unknown): UserFn<R> {
  return f as UserFn<R>;
}
