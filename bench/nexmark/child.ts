/**
 * One query's run in a process of its own (clean heap, its own peak RSS), started by suite.ts:
 *   node --import tsx bench/nexmark/child.ts <query> <events> <log|generator> [rate] [partitions] [memory|log]
 * The last argument is how repartitions go (default memory; `--repartition log` anywhere works too);
 * `--sink log|blackhole` anywhere: where the rows go (default log, see runner.ts NexmarkSink);
 * `--kafka <bootstrap>` anywhere: run on that Kafka cluster instead of the embedded log.
 * Progress goes to stderr as `progress <phase> <done> <total>` lines; the result is one JSON line on stdout.
 */
import { NEXMARK_REPARTITIONS, NEXMARK_SINKS, runArgument, runNexmark, type NexmarkSource } from './runner.js';

const args = process.argv.slice(2);
let repartitionFlag: string | undefined;
const flag = args.indexOf('--repartition');
if (flag >= 0) [, repartitionFlag] = args.splice(flag, 2);
let sinkFlag: string | undefined = 'log';
const sinkAt = args.indexOf('--sink');
if (sinkAt >= 0) [, sinkFlag] = args.splice(sinkAt, 2);
const sink = runArgument('sink', sinkFlag, NEXMARK_SINKS);
let kafka: string | undefined;
const kafkaAt = args.indexOf('--kafka');
if (kafkaAt >= 0) [, kafka] = args.splice(kafkaAt, 2);
const [query, events, source, rate, partitions, repartitionArg] = args;
const repartition = runArgument('repartition', repartitionFlag ?? repartitionArg ?? 'memory', NEXMARK_REPARTITIONS);
const result = await runNexmark({
  query: query!,
  events: Number(events),
  source: source as NexmarkSource,
  rate: rate && rate !== '0' ? Number(rate) : undefined,
  partitions: partitions ? Number(partitions) : 1,
  repartition,
  sink,
  kafka,
  onProgress: (phase, done, total) => process.stderr.write(`progress ${phase} ${done} ${total}\n`),
});
process.stdout.write(JSON.stringify(result) + '\n');
