import type { Logger } from 'pino';
import type { LogConnector } from '../../connectors/log.js';
import type { RunContext } from '../../engine/app-module.js';
import type { RunSummary } from '../../engine/runtime/runtime.js';
import type { StreamsApp } from '../../engine/app.js';
import { pathToFileURL } from 'node:url';
import { runThreads } from '../../engine/threads/run-threads.js';
import { buildApp, loadAppModule } from './load-app.js';

/** Why a run ended: its --duration passed, a signal came, or the app or its generator failed. */
export type StopReason = 'duration' | 'SIGINT' | 'SIGTERM' | 'error';

export interface RunAppOptions {
  /** The application file as the user typed it (for messages). */
  readonly file: string;
  readonly log: LogConnector;
  readonly dataDir: string;
  readonly durationMs: number | undefined;
  readonly args: readonly string[];
  readonly logger: Logger;
  /**
   * Runs the app on this many worker threads (runThreads, embedded log only): each thread builds
   * the app from the file and runs its share of the tasks; the generator runs in this thread.
   * Undefined: the app runs in this thread. No dashboard or live status then (they watch one app).
   */
  readonly threads?: number;
  /**
   * Starts the dashboard (--ui-port) for the built app, before it starts; closed before the app
   * closes. Its `advertisedUrl` becomes the app's applicationServer: with scaleOut, the other
   * processes forward interactive queries for this process's keys there.
   */
  readonly dashboard?: (app: StreamsApp) => Promise<{ readonly advertisedUrl?: string; close(): Promise<void> } | undefined>;
  /** Called once the app is started, e.g. to show a live status line; returns the function that stops it. */
  readonly watch?: (app: StreamsApp) => () => void;
}

/** What `tributary run` prints at the end (`--json`: this object, one line). */
export interface RunReport {
  readonly application_id: string;
  readonly stopped_by: StopReason;
  readonly duration_ms: number;
  /** CPU time of the whole process (app, generator, log) during the run: compare runs on a busy machine. */
  readonly cpu_ms: number;
  readonly records_in: Record<string, number>;
  readonly records_out: Record<string, number>;
  readonly late_records: number;
  readonly dead_lettered: number;
  readonly commits: number;
  readonly restored_records: number;
  readonly restore_ms: number;
}

/** A run that ended with an error still has a report of what it did before (when the app got that far). */
export class RunFailure extends Error {
  constructor(
    readonly failure: unknown,
    readonly report: RunReport | undefined,
  ) {
    super(failure instanceof Error ? failure.message : String(failure), { cause: failure });
    this.name = 'RunFailure';
  }
}

/**
 * Runs an application file by the contract of src/engine/app-module.ts: builds the app from the
 * default export, starts it and the optional `generate` beside it, and when the duration passes or
 * SIGINT/SIGTERM arrives, aborts `ctx.signal`, waits for `generate` to return and closes the app
 * (its last commit included). A second signal while closing exits at once. A fatal error of the
 * app or the generator also ends the run (RunFailure, with the report when there is one).
 */
export async function runApp(o: RunAppOptions): Promise<RunReport> {
  const loaded = await loadAppModule(o.file);
  const controller = new AbortController();
  let stoppedBy: StopReason | undefined;
  let failure: unknown;
  const stop = (why: StopReason): void => {
    if (stoppedBy !== undefined) return;
    stoppedBy = why;
    controller.abort(why);
  };
  const fail = (e: unknown): void => {
    failure ??= e;
    stop('error');
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stoppedBy !== undefined) {
      // The second Ctrl-C: the user does not want to wait for the clean close.
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    o.logger.info({ signal }, 'stopping on signal');
    stop(signal === 'SIGINT' ? 'SIGINT' : 'SIGTERM');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  // Node arms timers from the event loop's cached clock, so one can fire a few ms early: re-arm until the
  // full duration has passed, so a run stopped by --duration never reports less than it.
  let timer: NodeJS.Timeout | undefined;
  const armDuration = (ms: number): void => {
    const left = ms - (performance.now() - started);
    if (left <= 0) stop('duration');
    else timer = setTimeout(() => armDuration(ms), Math.ceil(left));
  };
  if (o.durationMs !== undefined) armDuration(o.durationMs);
  let dashboard: { readonly advertisedUrl?: string; close(): Promise<void> } | undefined;
  let unwatch = (): void => {};
  try {
    const ctx: RunContext = { log: o.log, dataDir: o.dataDir, durationMs: o.durationMs, signal: controller.signal, args: o.args };
    const app = await buildApp(loaded, o.file, ctx);
    const appId = app.applicationId;
    // It reads the app's runtime lazily, so it can start first and show the app from its first sample.
    dashboard = o.dashboard ? await o.dashboard(app) : undefined;
    o.logger.info({ app: appId, file: loaded.path, durationMs: o.durationMs ?? null, log: o.log.kind, threads: o.threads ?? null }, 'starting application');
    // With threads, the app built here only names the run: each thread builds and runs its own.
    const running =
      o.threads === undefined
        ? app.run({ until: 'closed', ...(dashboard?.advertisedUrl !== undefined ? { applicationServer: dashboard.advertisedUrl } : {}) })
        : runThreads(pathToFileURL(loaded.path), { threads: o.threads, log: o.log, until: 'closed', signal: controller.signal, args: o.args });
    running.catch(fail);
    if (o.watch && o.threads === undefined) unwatch = o.watch(app);
    const generating = loaded.module.generate
      ? Promise.resolve()
          .then(() => loaded.module.generate!(ctx))
          .then(() => o.logger.info({ app: appId }, 'generator finished'))
          .catch(fail)
      : Promise.resolve();
    if (!controller.signal.aborted) await new Promise((resolve) => controller.signal.addEventListener('abort', resolve, { once: true }));
    unwatch();
    o.logger.info({ app: appId, reason: stoppedBy }, 'stopping application');
    await generating;
    await dashboard?.close();
    let summary: RunSummary | undefined;
    try {
      // close() rejects with the start error when the app failed to start; `running` carries the run's summary.
      // Threads close on ctx.signal (aborted above), each with its last commit.
      summary = o.threads === undefined ? await app.close().then(() => running) : await running;
    } catch (e) {
      fail(e);
    }
    const report = summary && toReport(appId, stoppedBy!, Math.ceil(performance.now() - started), cpuMillis(cpuStart), summary);
    if (failure !== undefined) throw new RunFailure(failure, report);
    o.logger.info({ app: appId, ...report }, 'application closed');
    return report!;
  } finally {
    unwatch();
    await dashboard?.close().catch(() => {});
    if (timer) clearTimeout(timer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function cpuMillis(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return Math.round((u.user + u.system) / 1000);
}

function toReport(appId: string, stoppedBy: StopReason, durationMs: number, cpuMs: number, s: RunSummary): RunReport {
  return {
    application_id: appId,
    stopped_by: stoppedBy,
    duration_ms: durationMs,
    cpu_ms: cpuMs,
    records_in: s.recordsIn,
    records_out: s.recordsOut,
    late_records: s.lateRecords,
    dead_lettered: s.deadLettered,
    commits: s.commits,
    restored_records: s.restoredRecords,
    restore_ms: s.restoreMs,
  };
}

/** The report as a few lines for a person. */
export function reportText(r: RunReport): string {
  const list = (m: Record<string, number>): string => {
    const e = Object.entries(m);
    return e.length === 0 ? 'none' : e.map(([t, n]) => `${t} ${n}`).join(', ');
  };
  const stopped = r.stopped_by === 'duration' ? 'duration reached' : r.stopped_by === 'error' ? 'error' : r.stopped_by;
  return (
    `Application ${r.application_id} ran ${(r.duration_ms / 1000).toFixed(1)} s (stopped: ${stopped}; ${(r.cpu_ms / 1000).toFixed(1)} CPU-s)\n` +
    `  records in:  ${list(r.records_in)}\n` +
    `  records out: ${list(r.records_out)}\n` +
    `  late ${r.late_records}, dead-lettered ${r.dead_lettered}, commits ${r.commits}, ` +
    `restored ${r.restored_records} record(s) in ${r.restore_ms} ms\n`
  );
}
