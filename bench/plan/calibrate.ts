/**
 * Calibration of the capacity model: measured windowed-count runs (bench/plan/measure.ts) over
 * configurations that vary the results and the state entries per event independently, and the
 * model's CPU constants fitted to them by least squares. Shared by `npm run bench --
 * plan-calibration` and the test that checks the model on a run it was not fitted to.
 */
import { CPU_TERMS, fitCpu, workload, type Workload } from '../../src/cli/plan/model.js';
import { measureWindowedCount, type WindowedCountJob, type WindowedCountRun } from './measure.js';

/** Tumbling and hopping counts from 200 to 20,000 keys: outputs and entries per event from ~0.01 to ~4. */
export const CALIBRATION_JOBS: ReadonlyArray<Omit<WindowedCountJob, 'events'>> = [
  { keys: 200, eventsPerSec: 5000, sizeMs: 10_000, advanceMs: 2000 },
  { keys: 1000, eventsPerSec: 1000, sizeMs: 10_000, advanceMs: 2000 },
  { keys: 20_000, eventsPerSec: 1000, sizeMs: 10_000, advanceMs: 2000 },
  { keys: 1000, eventsPerSec: 1000, sizeMs: 10_000, advanceMs: 10_000 },
  { keys: 5000, eventsPerSec: 2000, sizeMs: 5000, advanceMs: 5000 },
];

/**
 * High rates, large states and keyBy: 50,000-100,000 events/s over 20,000-100,000 keys (up to
 * ~100,000 entries held), with and without a repartition (4 partitions, the engine bench's input
 * shape), so that the per-entry cost's growth with the state and the repartition's cost are
 * measured. Their event counts are fixed (a few seconds of event time each).
 */
export const HIGH_RATE_JOBS: ReadonlyArray<WindowedCountJob> = [
  { events: 300_000, keys: 100_000, eventsPerSec: 100_000, sizeMs: 10_000, advanceMs: 10_000, graceMs: 1000 },
  { events: 300_000, keys: 20_000, eventsPerSec: 100_000, sizeMs: 10_000, advanceMs: 10_000, graceMs: 1000 },
  { events: 300_000, keys: 100_000, eventsPerSec: 100_000, sizeMs: 10_000, advanceMs: 10_000, graceMs: 1000, keyBy: true, partitions: 4 },
  { events: 200_000, keys: 50_000, eventsPerSec: 50_000, sizeMs: 10_000, advanceMs: 2000, keyBy: true, partitions: 4 },
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
  const graceMs = job.graceMs ?? 0;
  const w = workload({ eventsPerSec: job.eventsPerSec, keys: job.keys, window: { kind, sizeMs: job.sizeMs, advanceMs: job.advanceMs, graceMs }, keyBy: job.keyBy ?? false });
  const d = (job.events / job.eventsPerSec) * 1000;
  const share = (ms: number): number => 1 - Math.exp(-(job.eventsPerSec * ms) / 1000 / job.keys);
  let outputs = 0;
  for (let start = -(job.sizeMs - job.advanceMs); start < d; start += job.advanceMs) {
    outputs += job.keys * share(Math.min(d, start + job.sizeMs) - Math.max(0, start));
  }
  let entries = 0;
  for (let start = 0; start < d; start += w.paneMs) entries += job.keys * share(Math.min(d, start + w.paneMs) - start);
  // Entries held at the peak: those of the panes a key keeps (size + grace), or of the whole run if shorter.
  let held = 0;
  const keptMs = w.panesPerKey * w.paneMs;
  for (let start = Math.max(0, Math.floor((d - keptMs) / w.paneMs) * w.paneMs); start < d; start += w.paneMs) held += job.keys * share(Math.min(d, start + w.paneMs) - start);
  return { ...w, outputsPerEvent: outputs / job.events, newEntriesPerEvent: entries / job.events, stateEntries: held };
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

/**
 * Every calibration job (the low-rate ones at `events` events, then the high-rate ones), in
 * `repeat` interleaved rounds, each keeping its least CPU (a burst of load on a shared machine
 * hits every job alike), and every CPU constant fitted to them.
 */
export async function calibrate(events: number, repeat: number, onRun?: (r: CalibrationRun) => void): Promise<{ runs: CalibrationRun[]; cpu: ReturnType<typeof fitCpu>; valueBytesPerEntry: number }> {
  // A warm-up run: the first run in a process pays for compiling the engine.
  await measureWindowedCount({ ...CALIBRATION_JOBS[0]!, events: Math.min(events, 20_000) });
  const jobs = [...CALIBRATION_JOBS.map((j) => ({ ...j, events })), ...HIGH_RATE_JOBS];
  const best: CalibrationRun[] = [];
  for (let round = 0; round < repeat; round++) {
    for (const [i, j] of jobs.entries()) {
      const r = await measureJob(j);
      if (!best[i] || r.cpuMicrosPerEvent < best[i]!.cpuMicrosPerEvent) best[i] = r;
    }
  }
  const runs = best;
  for (const r of runs) onRun?.(r);
  // Value bytes: store bytes minus the key bytes, per entry (keys are "key-N": 4 + digits).
  let valueBytes = 0;
  let entries = 0;
  for (const r of runs) {
    const avgKey = 4 + Math.log10(r.job.keys);
    valueBytes += r.run.peakStateBytes - r.run.peakStateEntries * (4 + avgKey + 8);
    entries += r.run.peakStateEntries;
  }
  return { runs, cpu: fitCpu(runs, CPU_TERMS), valueBytesPerEntry: valueBytes / entries };
}
