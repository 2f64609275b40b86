/**
 * Measures the constants of `tributary plan`'s model:
 *
 *   npm run bench -- plan-calibration [--events N] [--repeat R] [--json]
 *
 * Runs the windowed counts of bench/plan/calibrate.ts (each R times, keeping the least CPU), fits
 * CPU µs per record / per result / per state entry, measures the encoded bytes per entry, and
 * writes everything to bench/results/plan-calibration.json. Copy the printed constants into
 * src/cli/plan/constants.ts (with the run's date) to make the planner use them.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { calibrate } from './plan/calibrate.js';

export async function main(args: string[] = process.argv.slice(2)): Promise<void> {
  let events = 100_000;
  let repeat = 2;
  let json = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a === '--events') events = Number(args[++i]);
    else if (a === '--repeat') repeat = Number(args[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  const result = await calibrate(events, repeat, (r) => {
    process.stderr.write(
      `keys ${r.job.keys} rate ${r.job.eventsPerSec}/s window ${r.job.sizeMs}/${r.job.advanceMs} ms: ${r.cpuMicrosPerEvent.toFixed(2)} µs/event, ` +
        `${r.workload.outputsPerEvent.toFixed(3)} outputs/event (measured ${(r.run.outputs / r.job.events).toFixed(3)}), ` +
        `${r.run.peakStateEntries} entries, ${r.run.peakStateBytes} bytes\n`,
    );
  });
  const out = {
    bench: 'plan-calibration',
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version, loadavg: (await import('node:os')).loadavg() },
    events,
    repeat,
    constants: { cpu: result.cpu, state: { valueBytesPerEntry: Math.round(result.valueBytesPerEntry * 10) / 10 } },
    runs: result.runs.map((r) => ({
      ...r.job,
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
