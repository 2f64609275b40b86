import { InvalidArgumentError, type Command } from 'commander';
import type { Duration } from '../../engine/duration.js';
import { UsageError } from '../errors.js';
import type { GlobalOptions } from '../main.js';
import { positiveInt } from '../options.js';
import { formatTable } from '../table.js';
import { PLAN_CONSTANTS } from '../plan/constants.js';
import { parseWindow, plan, PlanInputError, type Plan } from '../plan/model.js';

interface PlanOptions {
  eventsPerSec: number;
  keys: number;
  window: string;
  grace: string;
  keyBytes: number;
  utilization: number;
  commitInterval: number;
  keyBy?: boolean;
}

function fraction(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d*\.?\d+$/.test(value) || !(n > 0 && n <= 1)) throw new InvalidArgumentError(`${name} must be a number in (0, 1], got '${value}'`);
    return n;
  };
}

/**
 * `tributary plan`: cores, memory, partitions and p99 latency for a windowed count per key at a
 * given rate, from the performance model (docs/performance-model.md) and its measured constants.
 */
export function registerPlan(program: Command, globals: () => GlobalOptions): void {
  program
    .command('plan')
    .description('estimate cores, memory, partitions and p99 latency of a windowed aggregation from the measured performance model')
    .requiredOption('--events-per-sec <N>', 'input events per second', positiveInt('--events-per-sec'))
    .requiredOption('--keys <K>', 'distinct keys (assumed used uniformly)', positiveInt('--keys'))
    .requiredOption('--window <spec>', 'tumble:SIZE or hop:SIZE:ADVANCE, e.g. tumble:1m, hop:10s:2s')
    .option('--grace <duration>', 'how long windows stay open after their end for late records', '0ms')
    .option('--key-bytes <N>', 'average key length in bytes', positiveInt('--key-bytes'), 16)
    .option('--utilization <F>', 'target CPU utilization per process (headroom for bursts)', fraction('--utilization'), 0.7)
    .option('--commit-interval <ms>', "the application's commitIntervalMs", positiveInt('--commit-interval'), 100)
    .option('--key-by', 'the records are re-keyed (keyBy) before the window: a repartition per record')
    .addHelpText(
      'after',
      '\nThe model (docs/performance-model.md): a count per key keeps one accumulator per key and pane' +
        '\n(gcd(size, advance)) for size + grace; CPU per event = a base per record + a cost per window result' +
        '\n+ a cost per state entry created (growing with the entries held) + with --key-by a repartition per' +
        '\nrecord, constants measured by `npm run bench -- plan-calibration`' +
        '\n(src/cli/plan/constants.ts names the run). One process uses one core; partitions = 2 x processes.' +
        '\nWith --json one object: {"input","state_entries","state_bytes","cpu_us_per_event","outputs_per_sec",' +
        '\n "changelog_records_per_sec","cores","processes","partitions","memory_mb_per_process","memory_mb_total",' +
        '\n "p99_latency_ms","window_result_delay_p99_ms","constants_from"}' +
        '\nExit codes: 0 printed; 2 a missing or malformed option.' +
        '\n\nExamples:\n  tributary plan --events-per-sec 100000 --keys 50000 --window hop:10s:2s' +
        '\n  tributary plan --events-per-sec 2000000 --keys 1000000 --window tumble:1m --grace 5s --json' +
        '\n  tributary plan --events-per-sec 100000 --keys 100000 --window tumble:10s --grace 1s --key-by',
    )
    .action((o: PlanOptions) => {
      let result: Plan;
      try {
        const window = parseWindow(o.window, durationArg(o.grace));
        result = plan(
          { eventsPerSec: o.eventsPerSec, keys: o.keys, window, keyBytes: o.keyBytes, utilization: o.utilization, commitIntervalMs: o.commitInterval, keyBy: o.keyBy === true },
          PLAN_CONSTANTS,
        );
      } catch (e) {
        if (e instanceof PlanInputError) throw new UsageError(e.message);
        throw e;
      }
      process.stdout.write(globals().json ? `${JSON.stringify(result)}\n` : formatPlan(result));
    });
}

function durationArg(s: string): Duration {
  if (/^\d+$/.test(s)) return Number(s);
  if (!/^\d+(\.\d+)?(ms|s|m|h|d)$/.test(s)) throw new PlanInputError(`--grace: "${s}" is not a duration (e.g. 0, 500ms, 5s)`);
  return s as Duration;
}

function mb(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} KB`;
}

function formatPlan(p: Plan): string {
  const w = p.input.window;
  const win = w.kind === 'tumbling' ? `tumbling ${w.sizeMs} ms` : `hopping ${w.sizeMs} ms every ${w.advanceMs} ms`;
  const rows: string[][] = [
    ['cores', `${p.cores}`, `${p.cpu_us_per_event} µs CPU per event`],
    ['processes', `${p.processes}`, `one core each, at most ${Math.round(p.input.utilization * 100)} % busy`],
    ['partitions', `${p.partitions}`, 'of the input topic (2 x processes: room to scale out)'],
    ['memory', `${p.memory_mb_total} MB`, `${p.memory_mb_per_process} MB per process`],
    ['state', `${p.state_entries} entries`, `${mb(p.state_bytes)} in the store and its changelog`],
    ['window results', `${p.outputs_per_sec}/s`, ''],
    ['changelog', `${p.changelog_records_per_sec} records/s`, ''],
    ['p99 latency', `${p.p99_latency_ms} ms`, `append to committed output; window results ${p.window_result_delay_p99_ms} ms after the window end`],
  ];
  return (
    `${p.input.events_per_sec} events/s over ${p.input.keys} keys${p.input.key_by ? ' (re-keyed by keyBy)' : ''}, ${win}${w.graceMs ? `, grace ${w.graceMs} ms` : ''}\n\n` +
    formatTable(['', 'estimate', ''], rows) +
    `\nconstants: ${p.constants_from}\n`
  );
}
