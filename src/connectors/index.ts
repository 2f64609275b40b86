/**
 * The log seen by the engine: the `Log` interface (src/connectors/log.ts, with its contract) and
 * its implementations — `embedded({ dataDir })` now, `kafka({ brokers })` later.
 */
export * from './log.js';
export { embedded, EmbeddedLog, type EmbeddedOptions, CONSUMER_OFFSETS_TOPIC } from './embedded/index.js';
export { visitRecords } from './records.js';
