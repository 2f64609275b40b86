/**
 * Tributary's long-lived timing process (tributary-paced-child.ts), pinned like the Flink JVM:
 * warmed up on the agreement's event count, then one timed run per `timedRun()`, so each system
 * runs every timed run in one process that has already run the query (JIT-warm on both sides).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NexmarkResult } from '../nexmark/runner.js';
import { PacedProcess } from './paced-process.js';

const here = dirname(fileURLToPath(import.meta.url));

export class TributarySessionError extends Error {
  readonly code = 'TRIBUTARY_SESSION_FAILED';
}

export class TributarySession {
  private readonly proc: PacedProcess;
  private readonly results: NexmarkResult[] = [];
  private ready = false;
  private started = 0;

  /** `sink`: where the runs' rows go (bench/nexmark/runner.ts NexmarkSink). */
  constructor(query: string, events: number, warmupEvents: number, repartition: string, cpu: string | undefined, sink: string = 'log') {
    const node = [process.execPath, '--import', 'tsx', join(here, 'tributary-paced-child.ts'), query, String(events), String(warmupEvents), repartition, sink];
    const onLine = (l: string): boolean => {
      if (l === '# ready') this.ready = true;
      else if (l.startsWith('{')) this.results.push(JSON.parse(l) as NexmarkResult);
      else return false;
      return true;
    };
    this.proc = new PacedProcess(cpu ? ['taskset', '-c', cpu, ...node] : node, onLine, (m) => new TributarySessionError(`Tributary's process ${m}`));
  }

  /** Waits for the warm-up run to end (before the other system's timed runs start). */
  async warmedUp(): Promise<void> {
    await this.proc.until(() => this.ready, 'its warm-up ended');
  }

  /** Runs the query once more over the session's events and returns the run's result. */
  async timedRun(): Promise<NexmarkResult> {
    await this.warmedUp();
    const n = ++this.started;
    this.proc.go();
    await this.proc.until(() => this.results.length >= n, `timed run ${n} ended`);
    return this.results[n - 1]!;
  }

  close(): Promise<void> {
    return this.proc.close();
  }

  kill(): void {
    this.proc.kill();
  }
}
