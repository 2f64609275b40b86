/**
 * Tributary's long-lived timing process (tributary-paced-child.ts), pinned like the Flink JVM:
 * warmed up on the agreement's event count, then one timed run per `timedRun()`, so each system
 * runs every timed run in one process that has already run the query (JIT-warm on both sides).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { NexmarkResult } from '../nexmark/runner.js';

const here = dirname(fileURLToPath(import.meta.url));

export class TributarySessionError extends Error {
  readonly code = 'TRIBUTARY_SESSION_FAILED';
}

export class TributarySession {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly results: NexmarkResult[] = [];
  private ready = false;
  private stderrTail = '';
  private waiting: (() => void) | undefined;
  private exited: number | string | undefined;
  private started = 0;

  constructor(query: string, events: number, warmupEvents: number, repartition: string, cpu: string | undefined) {
    const node = [process.execPath, '--import', 'tsx', join(here, 'tributary-paced-child.ts'), query, String(events), String(warmupEvents), repartition];
    const [cmd, ...args] = cpu ? ['taskset', '-c', cpu, ...node] : node;
    this.proc = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout }).on('line', (l) => {
      if (l === '# ready') this.ready = true;
      else if (l.startsWith('{')) this.results.push(JSON.parse(l) as NexmarkResult);
      else return;
      this.wake();
    });
    this.proc.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderrTail = (this.stderrTail + d).slice(-4000)));
    // 'close', not 'exit': every line of its stdout has been read by then
    this.proc.on('close', (code, signal) => {
      this.exited = code ?? signal ?? 'unknown';
      this.wake();
    });
    this.proc.stdin.on('error', () => undefined);
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  private async until(done: () => boolean, what: string): Promise<void> {
    while (!done()) {
      if (this.exited !== undefined) throw new TributarySessionError(`Tributary's process exited (${this.exited}) before ${what}: ${this.stderrTail}`);
      await new Promise<void>((r) => (this.waiting = r));
    }
  }

  /** Waits for the warm-up run to end (before the other system's timed runs start). */
  async warmedUp(): Promise<void> {
    await this.until(() => this.ready, 'its warm-up ended');
  }

  /** Runs the query once more over the session's events and returns the run's result. */
  async timedRun(): Promise<NexmarkResult> {
    await this.warmedUp();
    const n = ++this.started;
    this.proc.stdin.write('go\n');
    await this.until(() => this.results.length >= n, `timed run ${n} ended`);
    return this.results[n - 1]!;
  }

  async close(): Promise<void> {
    this.proc.stdin.end();
    if (this.exited === undefined) await this.until(() => this.exited !== undefined, 'it exited').catch(() => undefined);
  }

  kill(): void {
    if (this.exited === undefined) this.proc.kill('SIGKILL');
  }
}
