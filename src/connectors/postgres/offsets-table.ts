import type pg from 'pg';
import type { PartitionOffset } from '../log.js';
import { quoteIdentifier } from './row-mapping.js';

/**
 * The sink's progress, kept in PostgreSQL beside the rows it wrote: one row per sink, topic and
 * partition holding the next offset to read. Written in the same transaction as the rows, so
 * rows and offsets commit together or not at all — after a crash the sink resumes exactly after
 * the last batch PostgreSQL has, whatever the log's group offsets say.
 */
export class OffsetsTable {
  private readonly table: string;

  constructor(name = 'tributary_offsets') {
    this.table = quoteIdentifier(name);
  }

  async ensure(client: pg.ClientBase): Promise<void> {
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${this.table} (
         sink text NOT NULL,
         topic text NOT NULL,
         partition integer NOT NULL,
         next_offset bigint NOT NULL,
         updated_at timestamptz NOT NULL DEFAULT now(),
         PRIMARY KEY (sink, topic, partition))`,
    );
  }

  /** The stored next offset per partition of `topic` for this sink (absent partitions: none stored). */
  async load(client: pg.ClientBase, sink: string, topic: string): Promise<Map<number, number>> {
    const r = await client.query<{ partition: number; next_offset: string }>(
      `SELECT partition, next_offset FROM ${this.table} WHERE sink = $1 AND topic = $2`,
      [sink, topic],
    );
    return new Map(r.rows.map((row) => [row.partition, Number(row.next_offset)]));
  }

  /** Inside the caller's transaction: records that reading resumes at these offsets. */
  async store(client: pg.ClientBase, sink: string, offsets: readonly PartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const params: unknown[] = [];
    const tuples = offsets.map((o, i) => {
      params.push(sink, o.topic, o.partition, o.offset);
      return `($${4 * i + 1}, $${4 * i + 2}, $${4 * i + 3}, $${4 * i + 4}, now())`;
    });
    await client.query(
      `INSERT INTO ${this.table} (sink, topic, partition, next_offset, updated_at) VALUES ${tuples.join(', ')}
       ON CONFLICT (sink, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = EXCLUDED.updated_at`,
      params,
    );
  }
}
