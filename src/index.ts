/**
 * Tributary: stream processing for TypeScript on Node.js.
 *
 * The package root exports the engine's API (dataflow, serdes, windows, tables, processors,
 * test driver) and the state stores' interfaces.
 */
export * from './engine/index.js';
export {
  InMemoryKeyValueStore,
  type KeyValueStore,
  type KeyValueStoreFactory,
  type KeyValueEntry,
  type ChangelogEntry,
  type ChangelogCollector,
  type ChangelogRecord,
} from './state/index.js';
export {
  startDashboard,
  DashboardError,
  type Dashboard,
  type DashboardOptions,
  type StateOwnerLookup,
  type StateQueryResult,
  type StateEntry,
} from './dashboard/index.js';
