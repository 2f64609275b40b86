/**
 * One query's run in a process of its own (clean heap, its own peak RSS), started by suite.ts:
 *   node --import tsx bench/nexmark/child.ts <query> <events> <log|generator> [rate] [partitions]
 * Progress goes to stderr as `progress <phase> <done> <total>` lines; the result is one JSON line on stdout.
 */
import { runNexmark, type NexmarkSource } from './runner.js';

const [query, events, source, rate, partitions] = process.argv.slice(2);
const result = await runNexmark({
  query: query!,
  events: Number(events),
  source: source as NexmarkSource,
  rate: rate && rate !== '0' ? Number(rate) : undefined,
  partitions: partitions ? Number(partitions) : 1,
  onProgress: (phase, done, total) => process.stderr.write(`progress ${phase} ${done} ${total}\n`),
});
process.stdout.write(JSON.stringify(result) + '\n');
