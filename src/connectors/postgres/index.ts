/**
 * PostgreSQL sink: a topic upserted into a table, exactly once (offsets in the same transaction
 * as the rows). See docs/connectors.md.
 */
export { PostgresSink, isTransient, type PostgresSinkOptions, type PostgresSinkStats, type CommitInfo } from './postgres-sink.js';
export { RowMapper, quoteIdentifier, type RowMapping, type ColumnSource, type ConflictAction, type RowChanges, type SinkRecord } from './row-mapping.js';
export { OffsetsTable } from './offsets-table.js';
export { PostgresSinkConfigError, PostgresSinkError, RecordMappingError } from './errors.js';
