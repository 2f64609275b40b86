/**
 * A Flink peer JVM in paced mode (FlinkNexmark `paced`): it computes the query's final rows over
 * the agreement file, then starts each timed run only when told to (a line on its stdin). One JVM
 * for all of a query's runs, as before (its later runs JIT-warm), but the caller can run
 * Tributary between them, so the two systems' runs alternate under the same machine load instead
 * of Flink's R runs all coming before Tributary's R.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { flinkCommand, type FlinkTiming } from './flink.js';

export class FlinkSessionError extends Error {
  readonly code = 'FLINK_SESSION_FAILED';
}

export class FlinkSession {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly rowsLines: unknown[][] = [];
  private readonly timings: FlinkTiming[] = [];
  private stderrTail: string[] = [];
  private waiting: (() => void) | undefined;
  private inTime = false;
  private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private started = 0;

  /** Starts the JVM: `repeats` timed runs over `file` after the rows over `agreeFile`. */
  constructor(classpath: string, query: string, agreeFile: string, file: string, repeats: number, cpu: string | undefined) {
    const [cmd, ...args] = flinkCommand(classpath, [file, query, 'paced', String(repeats), agreeFile], cpu);
    this.proc = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.proc.stdout }).on('line', (l) => {
      if (l === '# time') this.inTime = true;
      else if (!this.inTime && l.startsWith('[')) this.rowsLines.push(JSON.parse(l) as unknown[]);
      else if (this.inTime && l.startsWith('{')) this.timings.push(JSON.parse(l) as FlinkTiming);
      else return;
      this.wake();
    });
    createInterface({ input: this.proc.stderr }).on('line', (l) => {
      // Flink logs little at its default level; keep the end for the error message
      this.stderrTail.push(l);
      if (this.stderrTail.length > 12) this.stderrTail = this.stderrTail.slice(-8);
    });
    // 'close', not 'exit': every line of its stdout has been read by then
    this.proc.on('close', (code, signal) => {
      this.exited = { code, signal };
      this.wake();
    });
    // a JVM that dies while we write "go" must surface as its exit, not as an unhandled EPIPE
    this.proc.stdin.on('error', () => undefined);
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  private async until(done: () => boolean, what: string): Promise<void> {
    while (!done()) {
      if (this.exited) {
        throw new FlinkSessionError(`Flink peer exited (${this.exited.code ?? this.exited.signal}) before ${what}: ${this.stderrTail.slice(-8).join('\n')}`);
      }
      await new Promise<void>((r) => (this.waiting = r));
    }
  }

  /** Flink's final result table over the agreement file (its changelog applied). */
  async rows(): Promise<unknown[][]> {
    await this.until(() => this.inTime, 'its rows were printed');
    return this.rowsLines;
  }

  /** Starts Flink's next timed run and waits for its timing. */
  async timedRun(): Promise<FlinkTiming> {
    await this.rows();
    const n = ++this.started;
    this.proc.stdin.write('go\n');
    await this.until(() => this.timings.length >= n, `timed run ${n} ended`);
    return this.timings[n - 1]!;
  }

  /** Ends the JVM (end of stdin: it exits once no run is left to wait for) and waits for it. */
  async close(): Promise<void> {
    this.proc.stdin.end();
    if (!this.exited) await this.until(() => this.exited !== undefined, 'it exited').catch(() => undefined);
  }

  /** Kills the JVM (after a failure elsewhere). */
  kill(): void {
    if (!this.exited) this.proc.kill('SIGKILL');
  }
}
