import pg from 'pg';
import { TributaryError } from '../../records/errors.js';
import type { FetchedPartition, Log, LogConsumer, PartitionOffset } from '../log.js';
import { visitRecords } from '../records.js';
import { PostgresSinkConfigError, PostgresSinkError, RecordMappingError } from './errors.js';
import { OffsetsTable } from './offsets-table.js';
import { RowMapper, type Cell, type RowMapping, type SinkRecord } from './row-mapping.js';

export interface PostgresSinkOptions {
  /** The sink's name: its offsets in PostgreSQL are stored under it. */
  readonly name: string;
  readonly log: Log;
  readonly topic: string;
  /** A connection string (`postgres://user@host:5432/db`) or pg's client config. */
  readonly connection: string | pg.ClientConfig;
  readonly mapping: RowMapping;
  /** The offsets table (created when missing). Default `tributary_offsets`. */
  readonly offsetsTable?: string;
  /** Where to start a partition with no stored offset. Default 'earliest'. */
  readonly startFrom?: 'earliest' | 'latest';
  /** Bytes per partition and fetch: bounds the size of one transaction. Default 1 MiB. */
  readonly maxBytesPerPartition?: number;
  /** A record the mapping rejects: stop the sink ('fail', the default) or skip it ('skip'). */
  readonly onBadRecord?: 'fail' | 'skip';
  /** Connection retries: first delay (default 100 ms), doubling up to maxBackoffMs (default 5 s). */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Consecutive failed attempts before the sink gives up. Default 20. */
  readonly maxRetries?: number;
  /** Called after each committed transaction (progress, metrics, tests). */
  readonly onCommit?: (info: CommitInfo) => void | Promise<void>;
  /** Called before each COMMIT with the sink's client (tests inject failures here). */
  readonly beforeCommit?: (info: CommitInfo, client: pg.ClientBase) => void | Promise<void>;
  /** Reports retries and skipped records. Default: stderr. */
  readonly warn?: (message: string) => void;
}

export interface CommitInfo {
  readonly transaction: number;
  readonly records: number;
  readonly upserts: number;
  readonly deletes: number;
  readonly offsets: readonly PartitionOffset[];
}

export interface PostgresSinkStats {
  transactions: number;
  records: number;
  upserts: number;
  deletes: number;
  skipped: number;
  retries: number;
}

/** Postgres' limit is 65535 bind parameters per statement. */
const MAX_PARAMS = 60_000;

/**
 * Reads a topic (read_committed) and upserts its records as rows of a PostgreSQL table,
 * exactly once: each fetch becomes one database transaction holding the rows and the offsets
 * after them (OffsetsTable). On start and after every connection loss the sink reads its
 * offsets back from PostgreSQL and seeks there, so a batch whose COMMIT did not happen is read
 * again and one that did is never applied twice — even if the COMMIT's answer was lost.
 */
export class PostgresSink {
  readonly stats: PostgresSinkStats = { transactions: 0, records: 0, upserts: 0, deletes: 0, skipped: 0, retries: 0 };
  private readonly mapper: RowMapper;
  private readonly offsets: OffsetsTable;
  private client: pg.Client | null = null;
  private consumer: LogConsumer | null = null;
  private partitions = 0;
  private stopping = false;
  private readonly warn: (message: string) => void;

  constructor(private readonly options: PostgresSinkOptions) {
    if (!options.name) throw new PostgresSinkConfigError('the sink needs a name');
    this.mapper = new RowMapper(options.mapping);
    this.offsets = new OffsetsTable(options.offsetsTable);
    this.warn = options.warn ?? ((m) => process.stderr.write(`[tributary postgres-sink ${options.name}] ${m}\n`));
  }

  /**
   * Runs until stop() — or, with `untilEnd`, until every partition is read up to the end it had
   * when the run started (a bounded run: backfills, tests, `tributary connect postgres-sink --until-end`).
   */
  async run(opts: { untilEnd?: boolean } = {}): Promise<void> {
    const { log, topic } = this.options;
    const info = (await log.describeTopics([topic])).get(topic);
    if (!info) throw new PostgresSinkConfigError(`topic ${topic} does not exist`);
    this.partitions = info.partitions;
    const tps = Array.from({ length: this.partitions }, (_, partition) => ({ topic, partition }));
    const ends = opts.untilEnd ? await log.endOffsets(tps, 'read_committed') : null;
    this.consumer = log.consumer({ isolation: 'read_committed', maxBytesPerPartition: this.options.maxBytesPerPartition ?? 1024 * 1024 });
    try {
      await this.withRetries(() => this.connect());
      let txn = 0;
      while (!this.stopping) {
        if (ends && tps.every((tp, i) => this.consumer!.position(tp) >= ends[i]!)) return;
        const fetched = await this.consumer.fetch(500);
        if (fetched.length === 0) continue;
        await this.withRetries(async (attempt) => {
          // After a reconnect the batch in hand may already be committed: connect() seeked the
          // consumer back to what PostgreSQL has, so fetch again rather than apply it.
          if (attempt > 0) return;
          await this.apply(fetched, ++txn);
        });
      }
    } finally {
      this.consumer.close();
      this.consumer = null;
      await this.disconnect();
    }
  }

  /** Ends run() after the transaction in progress. */
  stop(): void {
    this.stopping = true;
    this.consumer?.wakeup();
  }

  /** Connects, makes sure the offsets table exists and positions the consumer at the stored offsets. */
  private async connect(): Promise<void> {
    await this.disconnect();
    const client = new pg.Client(this.options.connection);
    // A connection lost while idle is reported as an event; the next query fails and retries.
    client.on('error', () => {});
    await client.connect();
    this.client = client;
    await this.offsets.ensure(client);
    const stored = await this.offsets.load(client, this.options.name, this.options.topic);
    const { log, topic } = this.options;
    const tps = Array.from({ length: this.partitions }, (_, partition) => ({ topic, partition }));
    const missing = tps.filter((tp) => !stored.has(tp.partition));
    const defaults =
      missing.length === 0
        ? []
        : this.options.startFrom === 'latest'
          ? await log.endOffsets(missing, 'read_committed')
          : await log.beginningOffsets(missing);
    missing.forEach((tp, i) => stored.set(tp.partition, defaults[i]!));
    this.consumer!.assign(tps.map((tp) => ({ ...tp, offset: stored.get(tp.partition)! })));
  }

  private async disconnect(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => {});
  }

  /** One fetch, one transaction: rows and the offsets after them. */
  private async apply(fetched: readonly FetchedPartition[], transaction: number): Promise<void> {
    const records: SinkRecord[] = [];
    const offsets: PartitionOffset[] = [];
    for (const f of fetched) {
      visitRecords(f, (offset, timestamp, key, value) => {
        records.push({ topic: f.topic, partition: f.partition, offset, timestamp, key, value });
      });
      offsets.push({ topic: f.topic, partition: f.partition, offset: f.nextOffset });
    }
    const changes = this.changesOf(records);
    const client = this.client!;
    const info: CommitInfo = { transaction, records: records.length, upserts: changes.upserts.length, deletes: changes.deletes.length, offsets };
    await client.query('BEGIN');
    try {
      const keyWidth = this.options.mapping.keyColumns.length;
      for (const chunk of chunks(changes.deletes, Math.floor(MAX_PARAMS / keyWidth))) {
        await client.query(this.mapper.deleteSql(chunk.length), chunk.flat());
      }
      for (const chunk of chunks(changes.upserts, Math.floor(MAX_PARAMS / this.mapper.columns.length))) {
        await client.query(this.mapper.upsertSql(chunk.length), chunk.flat());
      }
      await this.offsets.store(client, this.options.name, offsets);
      await this.options.beforeCommit?.(info, client);
      await client.query('COMMIT');
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {});
      throw e;
    }
    this.stats.transactions++;
    this.stats.records += records.length;
    this.stats.upserts += changes.upserts.length;
    this.stats.deletes += changes.deletes.length;
    await this.options.onCommit?.(info);
  }

  /** Row changes of a batch; with onBadRecord 'skip', records the mapping rejects are left out one by one. */
  private changesOf(records: SinkRecord[]): { deletes: Cell[][]; upserts: Cell[][] } {
    try {
      return this.mapper.changes(records);
    } catch (e) {
      if (!(e instanceof RecordMappingError) || this.options.onBadRecord !== 'skip') throw e;
    }
    const good = records.filter((r) => {
      try {
        this.mapper.changes([r]);
        return true;
      } catch (e) {
        if (!(e instanceof RecordMappingError)) throw e;
        this.stats.skipped++;
        this.warn(`skipped: ${e.message}`);
        return false;
      }
    });
    return this.mapper.changes(good);
  }

  /** Runs `op`; on a connection-level failure reconnects with backoff (re-seeking from PostgreSQL) and runs it again. */
  private async withRetries(op: (attempt: number) => Promise<void>): Promise<void> {
    const max = this.options.maxRetries ?? 20;
    let delay = this.options.initialBackoffMs ?? 100;
    for (let attempt = 0; ; attempt++) {
      try {
        if (attempt > 0) await this.connect();
        await op(attempt);
        return;
      } catch (e) {
        if (e instanceof TributaryError || !isTransient(e)) {
          throw e instanceof TributaryError ? e : new PostgresSinkError(`PostgreSQL refused the batch: ${(e as Error).message}`, { cause: e });
        }
        if (attempt >= max || this.stopping) {
          throw new PostgresSinkError(`PostgreSQL unreachable after ${attempt + 1} attempts: ${(e as Error).message}`, { cause: e });
        }
        this.stats.retries++;
        this.warn(`connection lost (${(e as Error).message}); retrying in ${delay} ms`);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, this.options.maxBackoffMs ?? 5000);
      }
    }
  }
}

/**
 * Failures that a new connection may cure: the network, the server restarting or shutting
 * down (SQLSTATE classes 08, 57P), too many connections (53), serialization conflicts (40).
 */
export function isTransient(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (/^(08|53|40|57P)/.test(code)) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
  }
  return /Connection terminated|Client has encountered a connection error|not queryable|the database system is (starting up|shutting down)/i.test(e.message);
}

function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
