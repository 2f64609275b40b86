import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { positiveInt } from '../options.js';
import type { GlobalOptions } from '../main.js';

interface NexmarkCommandOptions {
  query: string;
  events: number;
  source: string;
  rate?: number;
  partitions: number;
  repartition: string;
  sink: string;
  brokers?: string;
  save: boolean;
  json?: boolean;
}

/**
 * `tributary bench nexmark`: the Nexmark queries on the embedded log or Kafka (bench/nexmark). The bench
 * code is loaded only when the command runs: it is not part of the library.
 */
export function registerBench(program: Command, globals: () => GlobalOptions): void {
  const bench = program.command('bench').description('benchmarks');
  bench
    .command('nexmark')
    .description('run Nexmark queries on the embedded log (or Kafka): events/s, events per CPU-core-second, latency, peak RSS')
    .option('-q, --query <name>', 'q0..q22, a comma-separated list, or all', 'all')
    .option('-n, --events <N>', 'events to generate', positiveInt('--events'), 1_000_000)
    .option('--source <source>', 'log: pre-generate into the log, time the engine alone; generator: generate while the app runs', 'log')
    .option('--rate <N>', 'with --source generator: append at N events/s (latency at a load the app keeps up with)', positiveInt('--rate'))
    .option('--partitions <P>', 'partitions of the events topic', positiveInt('--partitions'), 1)
    .option('--repartition <how>', 'memory: keyBy records go to the reading task in memory (one process, as Flink at parallelism 1); log: through the repartition topics', 'memory')
    .option('--sink <sink>', "log: each row as JSON to the output topic, exactly-once; blackhole: rows end in a forEach that counts them (Flink's blackhole connector)", 'log')
    .option('--brokers <host:port,...>', 'run on a Kafka cluster or `tributary broker` (kafka({ brokers })) instead of the embedded log; the run\'s topics are deleted after it')
    .option('--no-save', 'do not write bench/results/nexmark.{json,svg}')
    .option('--json', 'print the results as one JSON object')
    .addHelpText(
      'after',
      '\nEach query runs in its own process over the same generated events (Nexmark generator defaults,' +
        '\n10,000 events/s of event time), exactly-once. events_per_core_sec = events / CPU seconds of that' +
        '\nprocess (stable on a shared machine); p50/p99 latency only with --source generator (append -> commit).' +
        '\nResults: bench/results/nexmark.json and the chart bench/results/nexmark.svg.' +
        '\n\nExamples:\n  tributary bench nexmark --query q5 --events 200000\n  tributary bench nexmark --query all --json' +
        '\n  tributary bench nexmark --query q0 --source generator --rate 50000' +
        '\n  tributary bench nexmark --query q0,q1,q2 --sink blackhole' +
        '\n  tributary bench nexmark --query q5 --brokers 127.0.0.1:9092',
    )
    .action(async (o: NexmarkCommandOptions) => {
      const json = o.json === true || globals().json;
      if (o.source !== 'log' && o.source !== 'generator') throw new UsageError(`--source must be log or generator, not ${o.source}`);
      if (o.rate !== undefined && o.source !== 'generator') throw new UsageError('--rate needs --source generator');
      if (o.repartition !== 'memory' && o.repartition !== 'log') throw new UsageError(`--repartition must be memory or log, not ${o.repartition}`);
      if (o.sink !== 'log' && o.sink !== 'blackhole') throw new UsageError(`--sink must be log or blackhole, not ${o.sink}`);
      // Dynamic import with a computed path: bench/ is a tool next to the library, not a layer of it.
      const suitePath = new URL('../../../bench/nexmark/suite.js', import.meta.url).href;
      const suite = (await import(suitePath)) as typeof import('../../../bench/nexmark/suite.js');
      let queries: string[];
      try {
        queries = suite.expandQueries(o.query);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const results = await suite.runSuite({
        queries,
        events: o.events,
        source: o.source,
        rate: o.rate,
        partitions: o.partitions,
        repartition: o.repartition,
        sink: o.sink,
        kafka: o.brokers,
        progress: !json && process.stderr.isTTY === true,
        save: o.save,
      });
      if (json) {
        process.stdout.write(JSON.stringify({ bench: 'nexmark', events: o.events, source: o.source, repartition: o.repartition, sink: o.sink, log: o.brokers === undefined ? 'embedded' : 'kafka', results }) + '\n');
        return;
      }
      const rows = results.map((r) => [r.query, String(r.events_per_sec), String(r.events_per_core_sec), r.p50_ms === null ? '-' : `${r.p50_ms}/${r.p99_ms}`, String(r.peak_rss_mb), String(r.outputs)]);
      const head = ['query', 'events/s', 'events/core-s', 'p50/p99 ms', 'peak RSS MB', 'outputs'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      for (const r of [head, ...rows]) process.stdout.write(r.map((c, i) => c.padStart(widths[i]!)).join('  ') + '\n');
    });
}
