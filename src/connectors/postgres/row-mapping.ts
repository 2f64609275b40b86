import { PostgresSinkConfigError, RecordMappingError } from './errors.js';

/**
 * Where a column's value comes from. A string is a field path into the record's JSON value
 * (`'user.id'`); the object form can read the key (JSON, or the whole key as text without a
 * field) or the record's position, and says how a row that already exists is updated:
 * `set` overwrites (the default), `add` adds (counters: `total = total + x`), `keep` leaves the
 * stored value (first write wins, e.g. a `created_at`).
 */
export type ColumnSource =
  | string
  | {
      readonly from?: 'value' | 'key';
      readonly field?: string;
      readonly onConflict?: ConflictAction;
    }
  | {
      readonly from: 'topic' | 'partition' | 'offset' | 'timestamp';
      readonly onConflict?: ConflictAction;
    };

export type ConflictAction = 'set' | 'add' | 'keep';

/** How records become rows of one table. */
export interface RowMapping {
  /** The table, optionally schema-qualified (`analytics.page_views`). It must exist. */
  readonly table: string;
  /** The columns of the table's primary key (or a unique constraint): the upsert's conflict target. */
  readonly keyColumns: readonly string[];
  /** Every column written, key columns included, and where each value comes from. */
  readonly columns: Readonly<Record<string, ColumnSource>>;
  /** A record with a null value (a tombstone) deletes the row of its key. Default true. */
  readonly deleteOnNull?: boolean;
}

/** One column, resolved: how to read it and how to merge it. */
interface Column {
  readonly name: string;
  readonly from: 'value' | 'key' | 'topic' | 'partition' | 'offset' | 'timestamp';
  readonly path: readonly string[] | null;
  readonly onConflict: ConflictAction;
  readonly isKey: boolean;
}

export type Cell = string | number | boolean | null;

/** What a batch of records does to the table, merged per key in record order. */
export interface RowChanges {
  /** Keys whose row is deleted before the upserts (a tombstone, possibly followed by new writes). */
  readonly deletes: Cell[][];
  /** Rows to upsert, in `columns` order, at most one per key. */
  readonly upserts: Cell[][];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** A double-quoted SQL identifier; only plain names are accepted, so nothing needs escaping. */
export function quoteIdentifier(name: string): string {
  const parts = name.split('.');
  for (const p of parts) if (!IDENTIFIER.test(p)) throw new PostgresSinkConfigError(`not a plain SQL identifier: ${JSON.stringify(name)}`);
  return parts.map((p) => `"${p}"`).join('.');
}

/**
 * Turns records into row changes and SQL. Records of one batch are merged per key before they
 * reach PostgreSQL: one INSERT ... ON CONFLICT may not touch a row twice, and merging keeps the
 * statement small. Merging follows each column's conflict action, so a batch gives the same
 * table as applying its records one by one.
 */
export class RowMapper {
  readonly columns: readonly Column[];
  private readonly keyIndexes: number[];
  private readonly deleteOnNull: boolean;
  readonly table: string;

  constructor(readonly mapping: RowMapping) {
    this.table = quoteIdentifier(mapping.table);
    if (mapping.keyColumns.length === 0) throw new PostgresSinkConfigError('keyColumns: give at least one column');
    this.columns = Object.entries(mapping.columns).map(([name, src]): Column => {
      quoteIdentifier(name);
      const isKey = mapping.keyColumns.includes(name);
      const s = typeof src === 'string' ? { from: 'value' as const, field: src } : src;
      const from = s.from ?? 'value';
      const field = 'field' in s ? s.field : undefined;
      const onConflict = s.onConflict ?? 'set';
      if (isKey && onConflict !== 'set') throw new PostgresSinkConfigError(`key column ${name} cannot have onConflict ${onConflict}`);
      return { name, from, path: field === undefined || field === '' ? null : field.split('.'), onConflict, isKey };
    });
    for (const k of mapping.keyColumns) {
      if (!this.columns.some((c) => c.name === k)) throw new PostgresSinkConfigError(`key column ${k} is not among the columns`);
    }
    this.keyIndexes = mapping.keyColumns.map((k) => this.columns.findIndex((c) => c.name === k));
    this.deleteOnNull = mapping.deleteOnNull ?? true;
  }

  /** Merges a batch of records (in log order) into deletes and upserts. */
  changes(records: Iterable<SinkRecord>): RowChanges {
    const byKey = new Map<string, { deleted: boolean; row: Cell[] | null }>();
    for (const r of records) {
      let value: unknown;
      let key: unknown = undefined;
      if (r.value === null) {
        if (!this.deleteOnNull) continue;
        const keyCells = this.keyIndexes.map((i) => this.cell(this.columns[i]!, r, undefined, () => (key ??= parseKey(r))));
        const k = JSON.stringify(keyCells);
        byKey.set(k, { deleted: true, row: null });
        continue;
      }
      try {
        value = JSON.parse(r.value.toString('utf8'));
      } catch (e) {
        throw new RecordMappingError('the value is not JSON', r.topic, r.partition, r.offset, { cause: e });
      }
      const row = this.columns.map((c) => this.cell(c, r, value, () => (key ??= parseKey(r))));
      const k = JSON.stringify(this.keyIndexes.map((i) => row[i]));
      const prev = byKey.get(k);
      if (!prev || prev.row === null) byKey.set(k, { deleted: prev?.deleted ?? false, row });
      else prev.row = this.merge(prev.row, row);
    }
    const deletes: Cell[][] = [];
    const upserts: Cell[][] = [];
    for (const [k, s] of byKey) {
      if (s.deleted) deletes.push(JSON.parse(k) as Cell[]);
      if (s.row) upserts.push(s.row);
    }
    return { deletes, upserts };
  }

  private merge(old: Cell[], next: Cell[]): Cell[] {
    return this.columns.map((c, i) => {
      const a = old[i]!;
      const b = next[i]!;
      if (c.onConflict === 'keep') return a;
      if (c.onConflict === 'add') return a === null ? b : b === null ? a : Number(a) + Number(b);
      return b;
    });
  }

  private cell(c: Column, r: SinkRecord, value: unknown, key: () => unknown): Cell {
    let v: unknown;
    switch (c.from) {
      case 'topic':
        return r.topic;
      case 'partition':
        return r.partition;
      case 'offset':
        return r.offset;
      case 'timestamp':
        return new Date(r.timestamp).toISOString();
      case 'key':
        if (c.path === null) v = r.key === null ? null : r.key.toString('utf8');
        else v = dig(key(), c.path);
        break;
      case 'value':
        v = c.path === null ? value : dig(value, c.path);
        break;
    }
    if (v === undefined || v === null) {
      if (c.isKey) throw new RecordMappingError(`key column ${c.name} has no value`, r.topic, r.partition, r.offset);
      return null;
    }
    if (typeof v === 'object') return JSON.stringify(v);
    return v as Cell;
  }

  /** `DELETE FROM t WHERE (k1, k2) IN (($1, $2), ...)` for `count` keys. */
  deleteSql(count: number): string {
    const keys = this.mapping.keyColumns;
    const tuples: string[] = [];
    for (let i = 0, p = 1; i < count; i++) tuples.push(`(${keys.map(() => `$${p++}`).join(', ')})`);
    return `DELETE FROM ${this.table} WHERE (${keys.map(quoteIdentifier).join(', ')}) IN (${tuples.join(', ')})`;
  }

  /** `INSERT INTO t AS tgt (...) VALUES ... ON CONFLICT (keys) DO UPDATE SET ...` for `count` rows. */
  upsertSql(count: number): string {
    const cols = this.columns;
    const values: string[] = [];
    for (let i = 0, p = 1; i < count; i++) values.push(`(${cols.map(() => `$${p++}`).join(', ')})`);
    const sets = cols
      .filter((c) => !c.isKey && c.onConflict !== 'keep')
      .map((c) => {
        const q = quoteIdentifier(c.name);
        return c.onConflict === 'add' ? `${q} = COALESCE(tgt.${q}, 0) + COALESCE(EXCLUDED.${q}, 0)` : `${q} = EXCLUDED.${q}`;
      });
    const conflict = `ON CONFLICT (${this.mapping.keyColumns.map(quoteIdentifier).join(', ')}) ${
      sets.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${sets.join(', ')}`
    }`;
    return `INSERT INTO ${this.table} AS tgt (${cols.map((c) => quoteIdentifier(c.name)).join(', ')}) VALUES ${values.join(', ')} ${conflict}`;
  }
}

/** A record as the sink hands it to the mapper (key and value copied out of the fetch buffer or views into it). */
export interface SinkRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

function parseKey(r: SinkRecord): unknown {
  if (r.key === null) return null;
  try {
    return JSON.parse(r.key.toString('utf8'));
  } catch (e) {
    throw new RecordMappingError('the key is not JSON (a key column reads a field of it)', r.topic, r.partition, r.offset, { cause: e });
  }
}

function dig(v: unknown, path: readonly string[]): unknown {
  let cur = v;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}
