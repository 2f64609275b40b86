/**
 * The log-backed runtime: runs a topology's tasks on a Log (src/connectors), with exactly-once
 * commits, restore from changelogs, backpressure and bounded runs. Used through StreamsApp's
 * start()/run()/close().
 */
export { StreamsRuntime, type RunSummary } from './runtime.js';
export { resolveRuntimeOptions, type RuntimeOptions, type ResolvedRuntimeOptions, type ProcessingGuarantee, type RebalanceInfo } from './options.js';
