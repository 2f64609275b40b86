import type { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embedded } from '../../connectors/embedded/index.js';
import { toMillis } from '../../engine/duration.js';
import { LogManager } from '../../log/log-manager.js';
import type { LevelWithSilent } from 'pino';
import { cliLogger, defaultLogLevel, logLevel, logLoggerOf } from '../logging.js';
import { DASHBOARD_HELP, startDashboardFromCli, withDashboardOptions, type DashboardCliOptions } from '../../dashboard/cli-options.js';
import { ClickstreamGenerator, DEFAULT_CLICKSTREAM } from '../demo/clickstream.js';
import { LiveView, type DemoSummary } from '../demo/live-view.js';
import { OutputReader } from '../demo/output-reader.js';
import { DEMO_TOPICS, clickstreamApp } from '../demo/pipelines.js';
import { UsageError } from '../errors.js';
import { EXIT_INTERRUPTED } from '../exit-codes.js';
import { positiveInt } from '../options.js';
import type { GlobalOptions } from '../main.js';

const PARTITIONS = 4;
const TICK_MS = 50;
const MAX_CLICKS_PER_BATCH = 2_000;

interface DemoCommandOptions extends DashboardCliOptions {
  rate: number;
  duration?: string;
  keep?: boolean;
  alertThreshold: string;
  atLeastOnce?: boolean;
  logLevel: LevelWithSilent;
}

function parseDuration(s: string | undefined): number {
  if (s === undefined) return Infinity;
  try {
    return toMillis(s as `${number}s`, '--duration');
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

/**
 * `tributary demo` (`npm start`): a live clickstream through the engine on the embedded log. A generator writes
 * clicks at --rate; one application computes page views per 10 s window, the top 5 pages over a sliding minute,
 * user sessions and error-rate alerts, exactly-once; a read_committed reader follows the results, a terminal view
 * refreshes every second, and the run ends (after --duration, or Ctrl-C) with a summary.
 */
export function registerDemo(program: Command, globals: () => GlobalOptions): void {
  const command = program
    .command('demo')
    .description('run a live clickstream analytics demo on the embedded log (page views, trending pages, sessions, alerts)')
    .option('-r, --rate <events/s>', 'click events generated per second', positiveInt('--rate'), 2000)
    .option('--duration <d>', 'stop after this long, e.g. 30s or 2m (default: until Ctrl-C)')
    .option('--alert-threshold <fraction>', 'alert when more than this fraction of a 10 s window\'s requests fail', '0.1')
    .option('--at-least-once', 'at-least-once processing (lower latency) instead of exactly-once')
    .option('--log-level <level>', 'trace, debug, info, warn, error, fatal or silent (JSON lines on stderr)', logLevel, defaultLogLevel())
    .option('--keep', 'use --data-dir and keep it (default: a temporary data directory, removed afterwards)');
  withDashboardOptions(command)
    .addHelpText(
      'after',
      '\nWith --json, prints one summary object when done:\n  {"events_in","results_out","events_per_sec","p50_ms","p99_ms","late_records","alerts"}' +
        '\n(p50/p99: end-to-end latency from an event\'s creation to its committed result, measured on the error-events path)' +
        `\n${DASHBOARD_HELP}` +
        '\n\nExamples:\n  tributary demo\n  tributary demo --duration 30s --rate 5000\n  tributary demo --duration 20s --json\n  tributary demo --ui-port 8080      # then open http://127.0.0.1:8080/',
    )
    .action(async (opts: DemoCommandOptions) => {
      const { json, dataDir: given } = globals();
      const durationMs = parseDuration(opts.duration);
      const threshold = Number(opts.alertThreshold);
      if (!(threshold > 0 && threshold < 1)) throw new UsageError('--alert-threshold must be a fraction between 0 and 1');
      const dataDir = opts.keep ? given : mkdtempSync(join(tmpdir(), 'tributary-demo-'));
      let interrupted = false;
      try {
        const logger = cliLogger(opts.logLevel, 'demo');
        const log = await LogManager.open({ dataDir, logger: logLoggerOf(logger) });
        try {
          for (const t of Object.values(DEMO_TOPICS)) if (!log.hasTopic(t)) await log.createTopic(t, { partitions: PARTITIONS });
          const app = clickstreamApp({
            log: embedded({ manager: log }),
            alertThreshold: threshold,
            processingGuarantee: opts.atLeastOnce ? 'at-least-once' : 'exactly-once',
          });
          const reader = new OutputReader(log, Object.values(DEMO_TOPICS).filter((t) => t !== DEMO_TOPICS.clicks));
          const view = new LiveView({ rate: opts.rate, live: !json && process.stderr.isTTY === true });
          const generator = new ClickstreamGenerator(DEFAULT_CLICKSTREAM);
          // Before the app starts (it reads the runtime lazily), so a refused --ui-host fails before anything runs.
          const dashboard = await startDashboardFromCli(opts, { app, log });
          await app.start().catch(async (e: unknown) => {
            await dashboard?.close();
            throw e;
          });
          logger.info({ dataDir, rate: opts.rate, durationMs: Number.isFinite(durationMs) ? durationMs : null }, 'demo started');

          const started = Date.now();
          let owed = 0;
          let lastTick = started;
          let appending = Promise.resolve();
          let failure: unknown;
          const tick = setInterval(() => {
            const now = Date.now();
            // By elapsed time, not by tick count: a tick that comes late (a busy event loop) still catches up.
            owed += (opts.rate * (now - lastTick)) / 1000;
            lastTick = now;
            const n = Math.floor(owed);
            owed -= n;
            // A late tick (a busy machine) owes many clicks: generate them in chunks, so that no batch grows past
            // max.message.bytes (1 MiB; a click is ~250 bytes of JSON).
            for (let left = n; left > 0; left -= MAX_CLICKS_PER_BATCH) {
              const batches = generator.batches(Math.min(left, MAX_CLICKS_PER_BATCH), PARTITIONS, now);
              appending = appending
                .then(async () => {
                  for (let p = 0; p < PARTITIONS; p++) if (batches[p]!.length) await log.partition(DEMO_TOPICS.clicks, p).append(batches[p]!);
                })
                .catch((e: unknown) => {
                  failure ??= e;
                });
            }
            reader.poll((topic, value) => view.onResult(topic, value, Date.now()));
          }, TICK_MS);
          const redraw = setInterval(() => view.render(generator.generated, app.tasks, Date.now()), 1000);

          await new Promise<void>((resolve) => {
            const stop = (): void => {
              interrupted = true;
              resolve();
            };
            process.once('SIGINT', stop);
            if (Number.isFinite(durationMs)) setTimeout(resolve, durationMs).unref();
          });
          logger.info({ interrupted }, 'demo stopping');
          clearInterval(tick);
          clearInterval(redraw);
          await appending;
          await dashboard?.close();
          const summaryRun = await app.close();
          reader.poll((topic, value) => view.onResult(topic, value, Date.now()));
          if (failure) throw failure;
          const summary: DemoSummary = view.summary(generator.generated, Date.now() - started, summaryRun?.lateRecords ?? 0);
          if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
          else process.stdout.write(view.summaryText(summary));
        } finally {
          await log.close();
        }
      } finally {
        if (!opts.keep) rmSync(dataDir, { recursive: true, force: true });
      }
      if (interrupted) process.exitCode = EXIT_INTERRUPTED;
    });
}
