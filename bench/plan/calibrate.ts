/**
 * Calibration of the capacity model: measured windowed-count runs (bench/plan/measure.ts) over
 * configurations that vary the results and the state entries per event independently, and the
 * model's CPU constants fitted to them by least squares. Shared by `npm run bench --
 * plan-calibration` and the test that checks the model on a run it was not fitted to.
 */
import { fitCpu, workload, type Workload } from '../../src/cli/plan/model.js';
import { measureWindowedCount, type WindowedCountJob, type WindowedCountRun } from './measure.js';

/** Tumbling and hopping counts from 200 to 20,000 keys: outputs and entries per event from ~0.01 to ~4. */
export const CALIBRATION_JOBS: ReadonlyArray<Omit<WindowedCountJob, 'events'>> = [
  { keys: 200, eventsPerSec: 5000, sizeMs: 10_000, advanceMs: 2000 },
  { keys: 1000, eventsPerSec: 1000, sizeMs: 10_000, advanceMs: 2000 },
  { keys: 20_000, eventsPerSec: 1000, sizeMs: 10_000, advanceMs: 2000 },
  { keys: 1000, eventsPerSec: 1000, sizeMs: 10_000, advanceMs: 10_000 },
  { keys: 5000, eventsPerSec: 2000, sizeMs: 5000, advanceMs: 5000 },
];

export interface CalibrationRun {
  readonly job: WindowedCountJob;
  readonly run: WindowedCountRun;
  readonly workload: Workload;
  readonly cpuMicrosPerEvent: number;
}

/**
 * The workload of a measured job, as the model sees it, for the run's bounded length D: windows
 * overlapping the first and last records hold only the part of the run they overlap, so results
 * and entries are summed window by window (pane by pane), with the model's share of keys a span
 * sees. (A stream without end has D / advance windows per key, all full: what `plan` uses.)
 */
export function jobWorkload(job: WindowedCountJob): Workload {
  const kind = job.sizeMs === job.advanceMs ? 'tumbling' : 'hopping';
  const w = workload({ eventsPerSec: job.eventsPerSec, keys: job.keys, window: { kind, sizeMs: job.sizeMs, advanceMs: job.advanceMs, graceMs: 0 } });
  const d = (job.events / job.eventsPerSec) * 1000;
  const share = (ms: number): number => 1 - Math.exp(-(job.eventsPerSec * ms) / 1000 / job.keys);
  let outputs = 0;
  for (let start = -(job.sizeMs - job.advanceMs); start < d; start += job.advanceMs) {
    outputs += job.keys * share(Math.min(d, start + job.sizeMs) - Math.max(0, start));
  }
  let entries = 0;
  for (let start = 0; start < d; start += w.paneMs) entries += job.keys * share(Math.min(d, start + w.paneMs) - start);
  return { ...w, outputsPerEvent: outputs / job.events, newEntriesPerEvent: entries / job.events };
}

/** Runs a job `repeat` times and keeps the run with the least CPU (the least disturbed by other load). */
export async function measureJob(job: WindowedCountJob, repeat = 1): Promise<CalibrationRun> {
  let best: WindowedCountRun | undefined;
  for (let i = 0; i < repeat; i++) {
    const run = await measureWindowedCount(job);
    if (!best || run.cpuSeconds < best.cpuSeconds) best = run;
  }
  return { job, run: best!, workload: jobWorkload(job), cpuMicrosPerEvent: (best!.cpuSeconds / job.events) * 1e6 };
}

export async function calibrate(events: number, repeat: number, onRun?: (r: CalibrationRun) => void): Promise<{ runs: CalibrationRun[]; cpu: ReturnType<typeof fitCpu>; valueBytesPerEntry: number }> {
  // A warm-up run: the first run in a process pays for compiling the engine.
  await measureWindowedCount({ ...CALIBRATION_JOBS[0]!, events: Math.min(events, 20_000) });
  const runs: CalibrationRun[] = [];
  for (const j of CALIBRATION_JOBS) {
    const r = await measureJob({ ...j, events }, repeat);
    runs.push(r);
    onRun?.(r);
  }
  // Value bytes: store bytes minus the key bytes, per entry (keys are "key-N": 4 + digits).
  let valueBytes = 0;
  let entries = 0;
  for (const r of runs) {
    const avgKey = 4 + Math.log10(r.job.keys);
    valueBytes += r.run.peakStateBytes - r.run.peakStateEntries * (4 + avgKey + 8);
    entries += r.run.peakStateEntries;
  }
  return { runs, cpu: fitCpu(runs), valueBytesPerEntry: valueBytes / entries };
}
