/**
 * The engine's public API: the typed dataflow (StreamsApp, Stream, KeyedStream, windows, Table),
 * serdes, the Processor API, the TopologyTestDriver, and the Task/Topology interfaces a runtime
 * drives. Everything not exported here is internal.
 */
export { StreamsApp, type StreamOptions, type TableOptions } from './app.js';
export type { StreamsAppOptions } from './options.js';
export type { RuntimeOptions, ProcessingGuarantee, RebalanceInfo } from './runtime/options.js';
export type { RunSummary } from './runtime/runtime.js';
export type { RunContext, AppModule } from './app-module.js';
export { runThreads, type ThreadsOptions, type ThreadRunOptions } from './threads/run-threads.js';
export { embedded, type EmbeddedOptions, kafka, type KafkaOptions, type LogConnector, type Log, ProducerFencedError } from '../connectors/index.js';
export {
  Stream,
  type Branches,
  type JoinWindowOptions,
  type MapAsyncOptions,
  type Named,
  type Narrowed,
  type RepartitionOptions,
  type SinkOptions,
} from './stream.js';
export { KeyedStream, type AggregateOptions, type WindowOptions } from './keyed-stream.js';
export { WindowedStream, SessionWindowedStream } from './windowed-stream.js';
export { Table } from './table.js';
export { GroupedTable, type GroupTableOptions } from './grouped-table.js';
export { Sink } from './sink.js';
export { tumbling, hopping, session, type Windows, type TimeWindows, type SessionWindows } from './windows.js';
export { json, string, bytes, custom, windowed, float64, type Serde, type Serializer, type Schema, type Windowed } from './serdes.js';
export { toMillis, type Duration } from './duration.js';
export { defaultPartition, type Partitioner } from './partitioner.js';
export {
  Processor,
  type ProcessorLike,
  type ProcessorSupplier,
  type ProcessorContext,
  type ProcessorRecord,
  type TimerFiring,
  type Timers,
  type KeyedState,
  type ValueState,
  type ListState,
  type MapState,
  type StateOptions,
} from './processor.js';
export type { InputRecord, OutputRecord, RecordCollector, RecordContext, KeyValue, RecordHeader } from './records.js';
export { TopologyError, CoPartitioningError, ProcessingError } from './errors.js';
export { Topology, type SubTopology, type PartitionPlan } from './topology.js';
export { Task, type TaskEnvironment, type TaskStore, type TaskMetrics } from './task.js';
export {
  TopologyTestDriver,
  TestInputTopic,
  TestOutputTopic,
  type TestDriverOptions,
  type TestInput,
  type TestRecord,
  type DriverSnapshot,
} from './test-driver.js';
export { approxDistinct, countMin, CountMinSketch, topK, topKSummary, quantiles, TDigest, decayedAverage, SketchStateError, type Aggregator, type SketchItem, type ApproxDistinctOptions, type CountMinOptions, type TopKOptions, type TopKEntry, type TopKSummary, type QuantilesOptions, type DecayedAverageOptions } from './algorithms/index.js';
