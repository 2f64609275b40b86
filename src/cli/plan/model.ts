/**
 * The capacity model behind `tributary plan` (docs/performance-model.md explains it): for a
 * windowed count per key at a given event rate, key count and window (optionally re-keyed by
 * keyBy first, a repartition), how many state entries and bytes it holds, how much CPU it needs
 * per event, and from that cores, processes, partitions and a p99 latency. Pure arithmetic over
 * the measured constants of ./constants.ts.
 */
import { toMillis, type Duration } from '../../engine/duration.js';
import type { PlanConstants } from './constants.js';

export interface WindowSpec {
  readonly kind: 'tumbling' | 'hopping';
  readonly sizeMs: number;
  readonly advanceMs: number;
  readonly graceMs: number;
}

export class PlanInputError extends Error {
  readonly code = 'INVALID_PLAN_INPUT';
  override readonly name = 'PlanInputError';
}

/** `tumble:10s`, `tumbling:10s`, `hop:10s:2s` or `hopping:10s:2s` (durations as the engine takes them). */
export function parseWindow(spec: string, grace: Duration = 0): WindowSpec {
  const parts = spec.split(':');
  const ms = (d: string | undefined): number => {
    if (d === undefined || d === '') throw new PlanInputError(`window "${spec}": missing duration`);
    const v = /^\d+$/.test(d) ? Number(d) : d;
    try {
      return toMillis(v as Duration);
    } catch {
      throw new PlanInputError(`window "${spec}": "${d}" is not a duration (e.g. 500ms, 10s, 5m)`);
    }
  };
  const graceMs = toMillis(grace, 'grace');
  const kind = parts[0];
  if ((kind === 'tumble' || kind === 'tumbling') && parts.length === 2) {
    const size = ms(parts[1]);
    if (size <= 0) throw new PlanInputError(`window "${spec}": size must be positive`);
    return { kind: 'tumbling', sizeMs: size, advanceMs: size, graceMs };
  }
  if ((kind === 'hop' || kind === 'hopping') && parts.length === 3) {
    const size = ms(parts[1]);
    const advance = ms(parts[2]);
    if (size <= 0 || advance <= 0 || advance > size) {
      throw new PlanInputError(`window "${spec}": needs 0 < advance <= size`);
    }
    return { kind: advance === size ? 'tumbling' : 'hopping', sizeMs: size, advanceMs: advance, graceMs };
  }
  throw new PlanInputError(`window "${spec}": expected tumble:SIZE or hop:SIZE:ADVANCE, e.g. hop:10s:2s`);
}

export interface PlanInput {
  /** Event rate (events per second of event time and of wall-clock time: a live stream). */
  readonly eventsPerSec: number;
  /** Distinct keys, assumed uniformly used. */
  readonly keys: number;
  readonly window: WindowSpec;
  /** Average key length in bytes. */
  readonly keyBytes: number;
  /** Target CPU utilization of a process (headroom for bursts and restores). */
  readonly utilization: number;
  readonly commitIntervalMs: number;
  /** Whether the records are re-keyed (keyBy) before the window: each goes through a repartition topic. */
  readonly keyBy?: boolean;
}

/** The workload quantities the costs apply to (all per event unless named otherwise). */
export interface Workload {
  /** Pane length: a count keeps one accumulator per key and gcd(size, advance). */
  readonly paneMs: number;
  /** Panes a key holds at most: those of its open windows (size + grace). */
  readonly panesPerKey: number;
  /** Share of keys with at least one record in a pane. */
  readonly keysPerPaneShare: number;
  /** Share of keys with at least one record in a window (each such key and window is one output). */
  readonly keysPerWindowShare: number;
  /** New (key, pane) state entries per event: each is created, written, merged and dropped once. */
  readonly newEntriesPerEvent: number;
  /** Window results per event. */
  readonly outputsPerEvent: number;
  /** (key, pane) entries the store holds at its peak: the larger, the more each new entry costs (GC, cache misses). */
  readonly stateEntries: number;
  /** Records written to and read back from a repartition topic, per event (1 with keyBy, else 0). */
  readonly repartitionedPerEvent: number;
}

export function workload(p: Pick<PlanInput, 'eventsPerSec' | 'keys' | 'window' | 'keyBy'>): Workload {
  const { sizeMs, advanceMs, graceMs } = p.window;
  const paneMs = gcd(sizeMs, advanceMs);
  const r = p.eventsPerSec;
  const k = p.keys;
  // Records land on keys uniformly: the share of keys a span of t ms sees is 1 - e^(-r t / k).
  const share = (ms: number): number => 1 - Math.exp(-(r * ms) / 1000 / k);
  const keysPerPaneShare = share(paneMs);
  const keysPerWindowShare = share(sizeMs);
  const panesPerKey = Math.ceil((sizeMs + graceMs) / paneMs);
  return {
    paneMs,
    panesPerKey,
    keysPerPaneShare,
    keysPerWindowShare,
    // per second: k * share(pane) entries per pane length; per event: divide by r.
    newEntriesPerEvent: (k * keysPerPaneShare * 1000) / paneMs / r,
    outputsPerEvent: (k * keysPerWindowShare * 1000) / advanceMs / r,
    stateEntries: k * keysPerPaneShare * panesPerKey,
    repartitionedPerEvent: p.keyBy ? 1 : 0,
  };
}

/** The unit of state size the per-entry cost grows with: 100,000 entries held. */
export const ENTRIES_HELD_UNIT = 100_000;

/** The model's terms, each a quantity per event that one CPU constant multiplies. */
export const CPU_TERMS = ['record', 'output', 'newEntry', 'newEntryByStateSize', 'repartition'] as const;
export type CpuTerm = (typeof CPU_TERMS)[number];

const CONSTANT_OF: Record<CpuTerm, keyof PlanConstants['cpu']> = {
  record: 'microsPerRecord',
  output: 'microsPerOutput',
  newEntry: 'microsPerNewEntry',
  newEntryByStateSize: 'microsPerNewEntryPer100kHeld',
  repartition: 'microsPerRepartitionedRecord',
};

/** The per-event quantity of each term for a workload. */
export function termValues(w: Workload): Record<CpuTerm, number> {
  return {
    record: 1,
    output: w.outputsPerEvent,
    newEntry: w.newEntriesPerEvent,
    newEntryByStateSize: w.newEntriesPerEvent * (w.stateEntries / ENTRIES_HELD_UNIT),
    repartition: w.repartitionedPerEvent,
  };
}

/**
 * CPU µs per event: a base per record, plus per window result, plus per state entry created (a
 * fixed part and a part growing with the entries held), plus per record repartitioned.
 */
export function cpuMicrosPerEvent(w: Workload, c: PlanConstants): number {
  const v = termValues(w);
  let us = 0;
  for (const t of CPU_TERMS) us += c.cpu[CONSTANT_OF[t]] * v[t];
  return us;
}

/** Store key bytes of an entry: [u32 length][key][u64 pane start]. */
export function entryKeyBytes(keyBytes: number): number {
  return 4 + keyBytes + 8;
}

export interface Plan {
  readonly input: {
    readonly events_per_sec: number;
    readonly keys: number;
    readonly window: WindowSpec;
    readonly key_bytes: number;
    readonly utilization: number;
    readonly commit_interval_ms: number;
    readonly key_by: boolean;
  };
  readonly state_entries: number;
  readonly state_bytes: number;
  readonly cpu_us_per_event: number;
  readonly outputs_per_sec: number;
  readonly changelog_records_per_sec: number;
  readonly cores: number;
  readonly processes: number;
  readonly partitions: number;
  readonly memory_mb_per_process: number;
  readonly memory_mb_total: number;
  readonly p99_latency_ms: number;
  readonly window_result_delay_p99_ms: number;
  readonly constants_from: string;
}

/**
 * The plan. Cores = events/s × CPU per event; a process uses at most one core for processing
 * (tasks share its event loop), so processes = cores / utilization rounded up, and partitions
 * = 2 × processes (room to double the processes without repartitioning), at most one per key.
 * State splits evenly over the processes by key.
 */
export function plan(input: PlanInput, c: PlanConstants): Plan {
  if (!(input.eventsPerSec > 0)) throw new PlanInputError('--events-per-sec must be positive');
  if (!(input.keys >= 1)) throw new PlanInputError('--keys must be at least 1');
  if (!(input.utilization > 0 && input.utilization <= 1)) throw new PlanInputError('--utilization must be in (0, 1]');
  const w = workload(input);
  const entries = w.stateEntries;
  const entryBytes = entryKeyBytes(input.keyBytes) + c.state.valueBytesPerEntry;
  const cpuUs = cpuMicrosPerEvent(w, c);
  const cores = (input.eventsPerSec * cpuUs) / 1e6;
  const processes = Math.max(1, Math.ceil(cores / input.utilization));
  const partitions = Math.max(1, Math.min(input.keys, 2 * processes));
  const heapMb = (entries * c.memory.heapBytesPerEntry) / (1024 * 1024);
  const perProcessMb = c.memory.baseRssMb + heapMb / processes;
  // Latency from a record's append to its committed output (exactly-once: visible at the commit
  // after it is processed): it waits for the next commit, up to one interval T, and the loop, busy
  // `rho` of the time, finishes that interval's work up to rho × T late. p99 ≈ 0.99 T + rho T.
  const rho = Math.min(cores / processes, 1);
  const p99 = (0.99 + rho) * input.commitIntervalMs;
  return {
    input: {
      events_per_sec: input.eventsPerSec,
      keys: input.keys,
      window: input.window,
      key_bytes: input.keyBytes,
      utilization: input.utilization,
      commit_interval_ms: input.commitIntervalMs,
      key_by: input.keyBy ?? false,
    },
    state_entries: Math.round(entries),
    state_bytes: Math.round(entries * entryBytes),
    cpu_us_per_event: round(cpuUs, 2),
    outputs_per_sec: Math.round(w.outputsPerEvent * input.eventsPerSec),
    changelog_records_per_sec: Math.round(changelogPerSec(input, w)),
    cores: round(cores, 2),
    processes,
    partitions,
    memory_mb_per_process: Math.round(perProcessMb),
    memory_mb_total: Math.round(perProcessMb * processes),
    p99_latency_ms: Math.round(p99),
    window_result_delay_p99_ms: Math.round(input.window.graceMs + p99),
    constants_from: c.source,
  };
}

/**
 * Changelog records per second: each commit writes every (key, pane) entry changed since the last
 * one, once, and deletes the entries dropped: keys seen in a commit interval × panes it spans,
 * plus the entries dropped per second.
 */
function changelogPerSec(input: PlanInput, w: Workload): number {
  const t = input.commitIntervalMs;
  const r = input.eventsPerSec;
  const keysPerCommit = input.keys * (1 - Math.exp(-(r * t) / 1000 / input.keys));
  const panesPerCommit = 1 + Math.floor(t / w.paneMs);
  const writes = (keysPerCommit * panesPerCommit * 1000) / t;
  const deletes = w.newEntriesPerEvent * r;
  return Math.min(writes, r) + deletes;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The terms fitted when none are named: the three a keyed count at low rates varies. */
export const BASE_TERMS: readonly CpuTerm[] = ['record', 'output', 'newEntry'];

/**
 * Least-squares fit of CPU constants to measured runs: µs per event = Σ constant × term (the
 * terms of termValues). Only `terms` are fitted, the others are 0: a calibration that never
 * re-keys cannot tell what a repartition costs. Used by the calibration bench and by the test
 * that checks the model on a run it was not fitted to.
 */
export function fitCpu(
  runs: ReadonlyArray<{ readonly workload: Workload; readonly cpuMicrosPerEvent: number }>,
  terms: readonly CpuTerm[] = BASE_TERMS,
): PlanConstants['cpu'] {
  const n = terms.length;
  if (runs.length < n) throw new PlanInputError(`fitting ${n} constants needs at least ${n} runs`);
  const rows = runs.map((r) => {
    const v = termValues(r.workload);
    return terms.map((t) => v[t]);
  });
  // Normal equations X'X β = X'y, solved by Gaussian elimination with partial pivoting.
  const a = terms.map((_, i) => [...terms.map((_, j) => rows.reduce((s, x) => s + x[i]! * x[j]!, 0)), rows.reduce((s, x, k) => s + x[i]! * runs[k]!.cpuMicrosPerEvent, 0)]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    const scale = Math.max(...a.map((row) => Math.abs(row[col]!)));
    if (!(Math.abs(a[col]![col]!) > 1e-9 * scale) || scale === 0) throw new PlanInputError('calibration runs do not vary the fitted terms independently');
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / a[col]![col]!;
      for (let c = col; c <= n; c++) a[r]![c]! -= f * a[col]![c]!;
    }
  }
  const fitted: Record<keyof PlanConstants['cpu'], number> = {
    microsPerRecord: 0,
    microsPerOutput: 0,
    microsPerNewEntry: 0,
    microsPerNewEntryPer100kHeld: 0,
    microsPerRepartitionedRecord: 0,
  };
  terms.forEach((t, i) => (fitted[CONSTANT_OF[t]] = a[i]![n]! / a[i]![i]!));
  return fitted;
}
