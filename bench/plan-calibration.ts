/**
 * Measures the constants of `tributary plan`'s model:
 *
 *   npm run bench -- plan-calibration [--events N] [--repeat R] [--engine-events M] [--json]
 *
 * Runs the windowed counts of bench/plan/calibrate.ts (low rates at N events, high rates with and
 * without keyBy; R interleaved rounds, each job keeping its least CPU), fits CPU µs per record /
 * per result / per state entry (fixed and per 100K entries held) / per repartitioned record,
 * measures the encoded bytes per entry, then checks the fitted model on the engine bench's case b
 * (`npm run bench -- engine --case b --events M`, default 1,000,000: 10 s of event time, one full
 * window per key, so its per-event workload is the steady state's): `tributary plan`'s CPU per
 * event against the bench's CPU-seconds per event. Writes everything to
 * bench/results/plan-calibration.json; copy the printed constants into
 * src/cli/plan/constants.ts (with the run's date) to make the planner use them.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { calibrate } from './plan/calibrate.js';
import { parseWindow, plan } from '../src/cli/plan/model.js';
import { PLAN_CONSTANTS, type PlanConstants } from '../src/cli/plan/constants.js';

/** bench/engine.ts's case b: 100K keys ("k" + id, 6.9 bytes on average), 100K events/s, keyBy, tumble 10 s, grace 1 s. */
export function engineCaseBPlan(cpu: PlanConstants['cpu']): ReturnType<typeof plan> {
  return plan(
    { eventsPerSec: 100_000, keys: 100_000, window: parseWindow('tumble:10s', '1s'), keyBytes: 6, utilization: 0.7, commitIntervalMs: 100, keyBy: true },
    { ...PLAN_CONSTANTS, cpu },
  );
}

/** `npm run bench -- engine --case b --events M` in a child process: its events per CPU-second. */
function engineCaseB(events: number): number {
  const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./run.ts', import.meta.url)), 'engine', '--case', 'b', '--events', String(events), '--json'], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`engine bench case b failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { results: Array<{ events_per_core_sec: number }> };
  return out.results[0]!.events_per_core_sec;
}

export async function main(args: string[] = process.argv.slice(2)): Promise<void> {
  let events = 100_000;
  let repeat = 2;
  let json = false;
  let engineEvents = 1_000_000;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a === '--events') events = Number(args[++i]);
    else if (a === '--repeat') repeat = Number(args[++i]);
    else if (a === '--engine-events') engineEvents = Number(args[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  const result = await calibrate(events, repeat, (r) => {
    process.stderr.write(
      `keys ${r.job.keys} rate ${r.job.eventsPerSec}/s window ${r.job.sizeMs}/${r.job.advanceMs} ms${r.job.keyBy ? ` keyBy, ${r.job.partitions ?? 1} partitions` : ''}: ${r.cpuMicrosPerEvent.toFixed(2)} µs/event, ` +
        `${r.workload.outputsPerEvent.toFixed(3)} outputs/event (measured ${(r.run.outputs / r.job.events).toFixed(3)}), ` +
        `${r.run.peakStateEntries} entries, ${r.run.peakStateBytes} bytes\n`,
    );
  });
  process.stderr.write(`engine bench case b (${engineEvents} events): measuring\n`);
  const engineEventsPerCoreSec = engineCaseB(engineEvents);
  const engineMicros = 1e6 / engineEventsPerCoreSec;
  const predicted = engineCaseBPlan(result.cpu).cpu_us_per_event;
  const engineCheck = {
    events: engineEvents,
    measured_events_per_core_sec: engineEventsPerCoreSec,
    measured_cpu_us_per_event: Math.round(engineMicros * 100) / 100,
    plan_cpu_us_per_event: predicted,
    error: Math.round(((predicted - engineMicros) / engineMicros) * 1000) / 1000,
  };
  process.stderr.write(`engine bench case b: measured ${engineCheck.measured_cpu_us_per_event} µs/event, plan ${predicted} (${(engineCheck.error * 100).toFixed(1)} %)\n`);
  const out = {
    bench: 'plan-calibration',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version, loadavg: (await import('node:os')).loadavg() },
    events,
    repeat,
    constants: { cpu: result.cpu, state: { valueBytesPerEntry: Math.round(result.valueBytesPerEntry * 10) / 10 } },
    engine_case_b: engineCheck,
    runs: result.runs.map((r) => ({
      ...r.job,
      model_state_entries: Math.round(r.workload.stateEntries),
      cpu_seconds: r.run.cpuSeconds,
      cpu_us_per_event: r.cpuMicrosPerEvent,
      outputs: r.run.outputs,
      model_outputs: Math.round(r.workload.outputsPerEvent * r.job.events),
      peak_state_entries: r.run.peakStateEntries,
      peak_state_bytes: r.run.peakStateBytes,
      wall_seconds: r.run.wallSeconds,
    })),
  };
  writeFileSync(fileURLToPath(new URL('./results/plan-calibration.json', import.meta.url)), `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(json ? `${JSON.stringify(out)}\n` : `${JSON.stringify(out.constants, null, 2)}\n`);
}
