import type { StreamsApp } from '../../engine/app.js';
import { progressBar, type Progress } from '../progress.js';

const TICK_MS = 250;
const STATUS_EVERY_TICKS = 4;

/**
 * What a terminal shows while `tributary run` runs: a progress bar while the app restores its
 * state stores from their changelogs (records restored of the total, with the rate), then one
 * status line rewritten every second: records in and out so far with their rates over the last
 * second, late and dead-lettered records. Returns the function that stops it and clears the line
 * (so the summary prints on a clean screen).
 */
export function showLiveStatus(app: StreamsApp, out: NodeJS.WriteStream = process.stderr): () => void {
  const started = Date.now();
  let last = { at: started, in: 0, out: 0 };
  let restore: Progress | undefined;
  let restoreFinished = false;
  let ticks = 0;
  const n = (x: number): string => x.toLocaleString('en-US');

  const renderRestore = (): boolean => {
    const stats = app.activeRuntime?.stats;
    if (restoreFinished || !stats) return restoreFinished;
    if (!stats.restoreDone && stats.restoreTotal > 0) {
      restore ??= progressBar(`${app.applicationId} restoring state`, stats.restoreTotal, 'records', true);
      restore.update(stats.restored);
      return false;
    }
    if (stats.restoreDone) {
      if (restore) {
        restore.update(stats.restoreTotal);
        restore.stop();
      } else if (stats.restored > 0) {
        // Done before the first tick (a restore that never yields to timers): say what it did.
        const rate = Math.round(stats.restored / Math.max(0.001, stats.restoreMs / 1000));
        out.write(`\r\x1b[K${app.applicationId}: restored ${n(stats.restored)} changelog records in ${(stats.restoreMs / 1000).toFixed(1)} s (${n(rate)}/s)\n`);
      }
      restoreFinished = true;
    }
    return restoreFinished;
  };

  const renderStatus = (): void => {
    let recordsIn = 0;
    let recordsOut = 0;
    let late = 0;
    let dlq = 0;
    for (const t of app.tasks) {
      recordsIn += t.metrics.recordsIn;
      recordsOut += t.metrics.recordsOut;
      late += t.metrics.lateRecords;
      dlq += t.metrics.deadLettered;
    }
    const now = Date.now();
    const seconds = Math.max(0.001, (now - last.at) / 1000);
    const rateIn = Math.round((recordsIn - last.in) / seconds);
    const rateOut = Math.round((recordsOut - last.out) / seconds);
    last = { at: now, in: recordsIn, out: recordsOut };
    out.write(
      `\r\x1b[K${app.applicationId} ${Math.round((now - started) / 1000)}s | in ${n(recordsIn)} (${n(rateIn)}/s) | ` +
        `out ${n(recordsOut)} (${n(rateOut)}/s) | late ${n(late)} | dead-lettered ${n(dlq)} | Ctrl-C stops`,
    );
  };

  const timer = setInterval(() => {
    if (!renderRestore()) return;
    if (++ticks % STATUS_EVERY_TICKS === 0) renderStatus();
  }, TICK_MS);
  timer.unref();
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    if (restore && !restoreFinished) restore.stop();
    out.write('\r\x1b[K');
  };
}
