/**
 * One worker thread of a ParallelJsonGenerator (parallel-generator.ts): fills JSON batches of the
 * event ranges it is sent, in the shared slots it is sent them in. Every event is a pure function
 * of its position (its own `new Random(eventId + seed)`), so a worker jumps to any range with
 * skipTo and writes exactly the bytes a single generator would write there.
 *
 * Messages in:  { slot, from, to }  fill slot `slot` with the events at positions [from, to)
 * Messages out: { slot, from, to, stop, length, watermark }  events [from, stop) are in the slot
 *               (stop < to when the slot's bytes ran out first).
 * A failure is thrown: the parent sees the worker's 'error' event and closes every worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { GeneratorConfig, type NexmarkConfig } from './config.js';
import { JsonEventBatch, NexmarkGenerator } from './generator.js';

export interface GeneratorWorkerData {
  config: NexmarkConfig;
  slots: SharedArrayBuffer[];
  maxEvents: number;
  maxBytes: number;
}

export interface FillRequest {
  slot: number;
  from: number;
  to: number;
}

export interface FillResult {
  slot: number;
  from: number;
  to: number;
  stop: number;
  length: number;
  watermark: number;
}

const data = workerData as GeneratorWorkerData;
const gen = new NexmarkGenerator(new GeneratorConfig(data.config));
const batches = data.slots.map((s) => new JsonEventBatch(data.maxEvents, data.maxBytes, s));
const port = parentPort!;

port.on('message', (req: FillRequest) => {
  const batch = batches[req.slot]!;
  gen.skipTo(req.from);
  const n = gen.fillJson(batch, req.to - req.from);
  if (n === 0) throw new RangeError(`no event generated at position ${req.from}`);
  const result: FillResult = { slot: req.slot, from: req.from, to: req.to, stop: req.from + n, length: batch.length, watermark: batch.watermark };
  port.postMessage(result);
});
