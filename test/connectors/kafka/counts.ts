// The count-per-key application's input and its check, shared by the standby tests: state that
// only grows (one entry per key), so a task's changelog is as long as its keys, and a reference
// that catches both a lost and a twice-processed record.
import assert from 'node:assert/strict';
import type { Log } from '../../../src/index.js';
import { topicsOf } from './fixtures/standby-app.js';
import { readVia, type In } from './logs.js';

export const KEYS = 3_000;

/** n records over KEYS keys, each key in turn (a prime stride), so every prefix spreads over all partitions. */
export function generateKeyed(n: number, from = 0): In[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return { key: `k${(i * 7919) % KEYS}`, value: JSON.stringify({ i }), timestamp: 1_000_000 + i };
  });
}

/**
 * The committed output equals the reference: per key, the counts rise (updates coalesce per
 * commit, so by one or more), never repeat or fall — a record processed twice would show — and
 * the last one is the key's number of records.
 */
export async function checkCounts(admin: Log, app: string, records: readonly In[]): Promise<void> {
  const ref = new Map<string, number>();
  for (const r of records) ref.set(r.key!, (ref.get(r.key!) ?? 0) + 1);
  const seen = new Map<string, number>();
  for (const r of await readVia(admin, topicsOf(app).output)) {
    const key = r.key!.toString();
    const n = JSON.parse(r.value!.toString()) as number;
    assert.ok(n > (seen.get(key) ?? 0), `${app}: ${key}'s count went from ${seen.get(key)} to ${n}`);
    seen.set(key, n);
  }
  assert.deepEqual(seen, ref, `${app}: every key's last count is its number of records`);
}
