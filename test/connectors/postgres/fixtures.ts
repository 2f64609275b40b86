// Shared by the PostgreSQL sink tests and their child process: a payments stream summed per user.
import { partitionForKey } from '../../../src/records/partitioner.js';
import type { Log } from '../../../src/connectors/index.js';
import type { RowMapping } from '../../../src/connectors/postgres/index.js';
import { rng } from '../../support/rng.js';

export const TOTALS_DDL = 'CREATE TABLE totals (user_id text PRIMARY KEY, total bigint NOT NULL, events bigint NOT NULL, last_amount bigint)';

/** total and events add up, so a record applied twice (or lost) changes the result. */
export const TOTALS_MAPPING: RowMapping = {
  table: 'totals',
  keyColumns: ['user_id'],
  columns: {
    user_id: 'user',
    total: { field: 'amount', onConflict: 'add' },
    events: { field: 'one', onConflict: 'add' },
    last_amount: 'amount',
  },
};

export interface Payment {
  user: string;
  amount: number;
  one: 1;
}

/** Deterministic payments for `users` users, keyed by user, in a 3-partition topic. */
export function payments(count: number, users: number, seed = 7): Payment[] {
  const r = rng(seed);
  return Array.from({ length: count }, () => ({ user: `u${Math.floor(r() * users)}`, amount: 1 + Math.floor(r() * 1000), one: 1 as const }));
}

/** The table the sink must produce: per user the sum, the count and the last amount (log order per partition = per user). */
export function expectedTotals(ps: readonly Payment[]): Map<string, { total: number; events: number; last: number }> {
  const m = new Map<string, { total: number; events: number; last: number }>();
  for (const p of ps) {
    const e = m.get(p.user) ?? { total: 0, events: 0, last: 0 };
    e.total += p.amount;
    e.events += 1;
    e.last = p.amount;
    m.set(p.user, e);
  }
  return m;
}

export async function producePayments(log: Log, ps: readonly Payment[], partitions = 3): Promise<void> {
  await log.createTopics([{ name: 'payments', partitions }]);
  const producer = await log.producer();
  // Small batches, as a live producer writes them: the sink's transactions follow the log's batches.
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]!;
    const key = Buffer.from(p.user);
    producer.send({ topic: 'payments', partition: partitionForKey(key, partitions), timestamp: 1, key, value: Buffer.from(JSON.stringify(p)), headers: [] });
    if (i % 60 === 59) await producer.flush();
  }
  await producer.flush();
  await producer.close();
}
