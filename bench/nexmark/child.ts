/**
 * One query's run in a process of its own (clean heap, its own peak RSS), started by suite.ts:
 *   node --import tsx bench/nexmark/child.ts <query> <events> <log|generator> [rate] [partitions] [memory|log]
 * The last argument is how repartitions go (default memory; `--repartition log` anywhere works too);
 * `--sink log|blackhole` anywhere: where the rows go (default log, see runner.ts NexmarkSink).
 * Progress goes to stderr as `progress <phase> <done> <total>` lines; the result is one JSON line on stdout.
 */
import { NEXMARK_REPARTITIONS, NEXMARK_SINKS, NexmarkRunError, runNexmark, type NexmarkRepartition, type NexmarkSink, type NexmarkSource } from './runner.js';

const args = process.argv.slice(2);
let repartitionFlag: string | undefined;
const flag = args.indexOf('--repartition');
if (flag >= 0) [, repartitionFlag] = args.splice(flag, 2);
let sink = 'log';
const sinkFlag = args.indexOf('--sink');
if (sinkFlag >= 0) sink = args.splice(sinkFlag, 2)[1] ?? '';
if (!NEXMARK_SINKS.includes(sink as NexmarkSink)) throw new NexmarkRunError(`sink must be one of ${NEXMARK_SINKS.join(', ')}, not ${sink}`);
const [query, events, source, rate, partitions, repartitionArg] = args;
const repartition = repartitionFlag ?? repartitionArg ?? 'memory';
if (!NEXMARK_REPARTITIONS.includes(repartition as NexmarkRepartition)) throw new NexmarkRunError(`repartition must be one of ${NEXMARK_REPARTITIONS.join(', ')}, not ${repartition}`);
const result = await runNexmark({
  query: query!,
  events: Number(events),
  source: source as NexmarkSource,
  rate: rate && rate !== '0' ? Number(rate) : undefined,
  partitions: partitions ? Number(partitions) : 1,
  repartition: repartition as NexmarkRepartition,
  sink: sink as NexmarkSink,
  onProgress: (phase, done, total) => process.stderr.write(`progress ${phase} ${done} ${total}\n`),
});
process.stdout.write(JSON.stringify(result) + '\n');
