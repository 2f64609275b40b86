// `tributary plan` and its model (src/cli/plan/model.ts): window parsing, the state and workload
// arithmetic on hand-computed cases, how the estimate scales, the fit, and the command's output
// and exit codes. The check against measured runs is in plan-measured.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PLAN_CONSTANTS, type PlanConstants } from '../../src/cli/plan/constants.js';
import { CPU_TERMS, cpuMicrosPerEvent, fitCpu, parseWindow, plan, PlanInputError, workload, type PlanInput } from '../../src/cli/plan/model.js';
import { runCli } from './run-cli.js';

const base: PlanInput = {
  eventsPerSec: 100_000,
  keys: 50_000,
  window: parseWindow('hop:10s:2s'),
  keyBytes: 16,
  utilization: 0.7,
  commitIntervalMs: 100,
};

const unit: PlanConstants = {
  cpu: { microsPerRecord: 2, microsPerOutput: 3, microsPerNewEntry: 5, microsPerNewEntryPer100kHeld: 0, microsPerRepartitionedRecord: 0 },
  state: { valueBytesPerEntry: 10 },
  memory: { baseRssMb: 100, heapBytesPerEntry: 1024 * 1024 },
  source: 'test',
};

test('window specs: tumble and hop, with units; malformed ones are refused', () => {
  assert.deepEqual(parseWindow('hop:10s:2s'), { kind: 'hopping', sizeMs: 10_000, advanceMs: 2000, graceMs: 0 });
  assert.deepEqual(parseWindow('tumble:1m', '5s'), { kind: 'tumbling', sizeMs: 60_000, advanceMs: 60_000, graceMs: 5000 });
  assert.deepEqual(parseWindow('hopping:500ms:500ms'), { kind: 'tumbling', sizeMs: 500, advanceMs: 500, graceMs: 0 });
  for (const bad of ['hop:10s', 'tumble:', 'hop:2s:10s', 'slide:10s', 'hop:10x:2s', 'tumble:0s']) {
    assert.throws(() => parseWindow(bad), PlanInputError, bad);
  }
});

test('state: keys x share of keys per pane x panes per key; a hop:10s:2s count holds 5 panes per key', () => {
  // 100K events/s over 50K keys: 200K events per 2 s pane, every key is in every pane (1 - e^-4).
  const w = workload(base);
  assert.equal(w.paneMs, 2000);
  assert.equal(w.panesPerKey, 5);
  assert.ok(Math.abs(w.keysPerPaneShare - (1 - Math.exp(-4))) < 1e-12);
  const p = plan(base, unit);
  assert.equal(p.state_entries, Math.round(50_000 * (1 - Math.exp(-4)) * 5));
  assert.equal(p.state_bytes, Math.round(50_000 * (1 - Math.exp(-4)) * 5 * (4 + 16 + 8 + 10)));
  // Grace keeps more panes: (10 s + 3 s) / 2 s, rounded up.
  assert.equal(workload({ ...base, window: parseWindow('hop:10s:2s', '3s') }).panesPerKey, 7);
  // hop 10 s / 4 s: panes of gcd = 2 s.
  assert.equal(workload({ ...base, window: parseWindow('hop:10s:4s') }).paneMs, 2000);
});

test('CPU, cores, processes and partitions follow the costs; more keys cost more, not less', () => {
  const w = workload(base);
  // Outputs: one per key with records in a window, a window every 2 s.
  assert.ok(Math.abs(w.outputsPerEvent - (50_000 * (1 - Math.exp(-20)) * 0.5) / 100_000) < 1e-12);
  assert.ok(Math.abs(w.newEntriesPerEvent - (50_000 * (1 - Math.exp(-4)) * 0.5) / 100_000) < 1e-12);
  const us = 2 + 3 * w.outputsPerEvent + 5 * w.newEntriesPerEvent;
  assert.equal(cpuMicrosPerEvent(w, unit), us);
  const p = plan(base, unit);
  assert.equal(p.cores, Math.round(((100_000 * us) / 1e6) * 100) / 100);
  assert.equal(p.processes, Math.ceil((100_000 * us) / 1e6 / 0.7));
  assert.equal(p.partitions, 2 * p.processes);
  // Memory: base RSS per process plus the state's heap (1 MiB per entry here) split over them.
  const entries = 50_000 * (1 - Math.exp(-4)) * 5;
  assert.equal(p.memory_mb_per_process, Math.round(100 + entries / p.processes));
  const more = plan({ ...base, keys: 500_000 }, unit);
  assert.ok(more.cores > p.cores && more.state_entries > p.state_entries);
  // Few keys: partitions never exceed keys.
  assert.equal(plan({ ...base, keys: 1, eventsPerSec: 10_000_000 }, unit).partitions, 1);
  // p99: a commit interval of waiting plus the busy share of one.
  const rho = Math.min(p.cores / p.processes, 1);
  assert.equal(p.p99_latency_ms, Math.round((0.99 + rho) * 100));
});

test('fitCpu recovers the constants that generated the data, and refuses degenerate runs', () => {
  const jobs = [
    { keys: 200, eventsPerSec: 5000, window: parseWindow('hop:10s:2s') },
    { keys: 20_000, eventsPerSec: 1000, window: parseWindow('hop:10s:2s') },
    { keys: 1000, eventsPerSec: 1000, window: parseWindow('tumble:10s') },
    { keys: 5000, eventsPerSec: 2000, window: parseWindow('tumble:5s') },
  ];
  const runs = jobs.map((j) => {
    const w = workload(j);
    return { workload: w, cpuMicrosPerEvent: cpuMicrosPerEvent(w, unit) };
  });
  const fit = fitCpu(runs);
  assert.ok(Math.abs(fit.microsPerRecord - 2) < 1e-6, String(fit.microsPerRecord));
  assert.ok(Math.abs(fit.microsPerOutput - 3) < 1e-6, String(fit.microsPerOutput));
  assert.ok(Math.abs(fit.microsPerNewEntry - 5) < 1e-6, String(fit.microsPerNewEntry));
  assert.throws(() => fitCpu(runs.slice(0, 2)), PlanInputError);
  assert.throws(() => fitCpu([runs[0]!, runs[0]!, runs[0]!]), PlanInputError);
});

test('the extended terms: entries held scale the per-entry cost, keyBy adds a repartition per event; all five fit back', () => {
  const c: PlanConstants = { ...unit, cpu: { microsPerRecord: 2, microsPerOutput: 3, microsPerNewEntry: 5, microsPerNewEntryPer100kHeld: 7, microsPerRepartitionedRecord: 11 } };
  const w = workload({ ...base, keyBy: true });
  assert.equal(w.repartitionedPerEvent, 1);
  assert.equal(workload(base).repartitionedPerEvent, 0);
  assert.equal(w.stateEntries, 50_000 * (1 - Math.exp(-4)) * 5);
  const us = 2 + 3 * w.outputsPerEvent + 5 * w.newEntriesPerEvent + 7 * w.newEntriesPerEvent * (w.stateEntries / 100_000) + 11;
  assert.ok(Math.abs(cpuMicrosPerEvent(w, c) - us) < 1e-9);
  assert.equal(plan({ ...base, keyBy: true }, c).input.key_by, true);
  const jobs: PlanInput[] = [
    base,
    { ...base, keys: 200, eventsPerSec: 5000 },
    { ...base, keys: 20_000, eventsPerSec: 1000, keyBy: true },
    { ...base, keys: 100_000, window: parseWindow('tumble:10s'), keyBy: true },
    { ...base, keys: 1000, eventsPerSec: 1000, window: parseWindow('tumble:10s') },
    { ...base, keys: 5000, eventsPerSec: 2000, window: parseWindow('tumble:5s'), keyBy: true },
  ];
  const runs = jobs.map((j) => {
    const wj = workload(j);
    return { workload: wj, cpuMicrosPerEvent: cpuMicrosPerEvent(wj, c) };
  });
  const fit = fitCpu(runs, CPU_TERMS);
  for (const [k, v] of Object.entries(c.cpu)) assert.ok(Math.abs(fit[k as keyof typeof fit] - v) < 1e-6, `${k}: ${fit[k as keyof typeof fit]}`);
  // Without a keyBy run the repartition's cost cannot be told apart from the base.
  assert.throws(() => fitCpu(runs.filter((r) => r.workload.repartitionedPerEvent === 0), CPU_TERMS), PlanInputError);
});

test('the recorded constants are measured ones: positive, and named with their run', () => {
  const c = PLAN_CONSTANTS.cpu;
  assert.ok(c.microsPerRecord > 0 && c.microsPerOutput > 0 && c.microsPerNewEntry > 0, JSON.stringify(c));
  assert.ok(c.microsPerNewEntryPer100kHeld >= 0 && c.microsPerRepartitionedRecord > 0, JSON.stringify(c));
  assert.match(PLAN_CONSTANTS.source, /plan-calibration/);
});

test('tributary plan --json prints the plan; the text form shows the same numbers', { timeout: 120_000 }, async () => {
  const args = ['plan', '--events-per-sec', '100000', '--keys', '50000', '--window', 'hop:10s:2s'];
  const j = await runCli([...args, '--json']);
  assert.equal(j.code, 0, j.stderr);
  const got = JSON.parse(j.stdout) as Record<string, unknown>;
  assert.deepEqual(got, JSON.parse(JSON.stringify(plan(base, PLAN_CONSTANTS))));
  const t = await runCli(args);
  assert.equal(t.code, 0, t.stderr);
  assert.match(t.stdout, new RegExp(`cores\\s+${String(got.cores).replace('.', '\\.')}`));
  assert.match(t.stdout, new RegExp(`partitions\\s+${String(got.partitions)}`));
  assert.match(t.stdout, new RegExp(`state\\s+${String(got.state_entries)} entries`));
  // --key-by: the model's repartition term, as plan() computes it
  const k = await runCli([...args, '--key-by', '--json']);
  assert.equal(k.code, 0, k.stderr);
  assert.deepEqual(JSON.parse(k.stdout), JSON.parse(JSON.stringify(plan({ ...base, keyBy: true }, PLAN_CONSTANTS))));
});

test('tributary plan: missing or malformed options exit 2 with a message; --help has examples', { timeout: 120_000 }, async () => {
  const missing = await runCli(['plan', '--keys', '10', '--window', 'tumble:10s']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--events-per-sec/);
  const bad = await runCli(['plan', '--events-per-sec', '1000', '--keys', '10', '--window', 'hop:2s:10s']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /advance <= size/);
  const util = await runCli(['plan', '--events-per-sec', '1000', '--keys', '10', '--window', 'tumble:1s', '--utilization', '1.5']);
  assert.equal(util.code, 2);
  const help = await runCli(['plan', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Examples:\n {2}tributary plan --events-per-sec/);
});
