import { SingleBar, Presets } from 'cli-progress';

/** A progress bar on stderr for long work, with the rate; nothing at all when stderr is not a terminal. */
export interface Progress {
  update(done: number, extra?: { records?: number }): void;
  stop(): void;
}

const NONE: Progress = { update() {}, stop() {} };

/**
 * `unit` names what `total` counts (bytes, records). The bar shows records per second when the
 * caller reports records (a file's progress is in bytes, its rate in records).
 */
export function progressBar(label: string, total: number, unit: string, enabled: boolean = process.stderr.isTTY === true): Progress {
  if (!enabled || !(total > 0)) return NONE;
  const started = Date.now();
  const bar = new SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {records} records, {rate}/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0, { records: 0, rate: 0 });
  return {
    update(done, extra) {
      const records = extra?.records ?? done;
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      bar.update(Math.min(done, total), { records, rate: Math.round(records / seconds) });
    },
    stop() {
      bar.stop();
    },
  };
}
