/**
 * Tributary's side of the Flink comparison as one long-lived process, as Flink's side is one JVM:
 *   node --import tsx bench/peers/tributary-paced-child.ts <query> <events> <warm-up events> <memory|log> [log|blackhole]
 * It first runs the query over the warm-up events (as the Flink JVM computes its agreement rows
 * over the same number before its timed runs), then runs it over <events> each time a line arrives
 * on stdin, printing each run's NexmarkResult as one JSON line; it exits at the end of stdin. Each
 * run is a fresh application on a fresh embedded log (bench/nexmark/runner.ts); only the process,
 * and so its JIT-compiled code, is kept, as the JVM keeps Flink's. The last argument is where the
 * rows go (runner.ts NexmarkSink; default log), in the warm-up and in every timed run.
 */
import { createInterface } from 'node:readline';
import { NEXMARK_REPARTITIONS, NEXMARK_SINKS, runArgument, runNexmark } from '../nexmark/runner.js';

const [query, events, warmup, repartitionArg, sinkArg = 'log'] = process.argv.slice(2);
const repartition = runArgument('repartition', repartitionArg, NEXMARK_REPARTITIONS);
const sink = runArgument('sink', sinkArg, NEXMARK_SINKS);
const run = (n: number): ReturnType<typeof runNexmark> =>
  runNexmark({ query: query!, events: n, source: 'log', partitions: 1, repartition, sink });

if (Number(warmup) > 0) await run(Number(warmup));
process.stdout.write('# ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  process.stdout.write(JSON.stringify(await run(Number(events))) + '\n');
}
