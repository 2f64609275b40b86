/**
 * Stream algorithms as window and table aggregations: distinct counts (HyperLogLog), frequencies
 * (count-min sketch), heavy hitters (Space-Saving top-K), quantiles (t-digest) and exponentially
 * decayed averages. Each is an Aggregator whose state is a compact Buffer, mergeable for session
 * windows, with its error bounds in its doc comment.
 *
 *     const uv = approxDistinct((c: Click) => c.user);
 *     clicks.groupByKey().window(tumbling('1m'))
 *       .aggregate(uv.init, uv.add)              // session windows: (uv.init, uv.add, uv.merge)
 *       .mapValues(uv.result)                    // Table<Windowed<string>, number>
 */
export { type Aggregator, SketchStateError } from './aggregator.js';
export { type SketchItem } from './hash.js';
export { approxDistinct, type ApproxDistinctOptions } from './hyperloglog.js';
export { countMin, CountMinSketch, type CountMinOptions } from './count-min.js';
export { topK, topKSummary, type TopKOptions, type TopKEntry, type TopKSummary } from './top-k.js';
export { quantiles, TDigest, type QuantilesOptions } from './tdigest.js';
export { decayedAverage, type DecayedAverageOptions } from './decayed.js';
