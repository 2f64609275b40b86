import { spawn, type ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { BIN } from './run-cli.js';

/**
 * A `tributary` subprocess that keeps running: its output so far, a wait for a line on stderr,
 * signals, and its exit code — for commands that run until stopped (`run`, `broker`).
 */
export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number>;
  private waiters: Array<() => void> = [];

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d;
      this.wake();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
      this.wake();
    });
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => {
        this.wake();
        resolve(code ?? (signal ? -1 : 0));
      }),
    );
  }

  /** Resolves once stderr matches; rejects if the process exits first. */
  async waitForStderr(pattern: RegExp): Promise<void> {
    let done = false;
    void this.exited.then(() => (done = true));
    while (!pattern.test(this.stderr)) {
      if (done || this.child.exitCode !== null) throw new Error(`process exited before stderr matched ${pattern}:\n${this.stderr}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** `tributary broker` on a free port over `dataDir`, killed after the test if still running; with its bootstrap address. */
export async function startCliBroker(t: TestContext, dataDir: string): Promise<{ broker: CliProcess; bootstrap: string }> {
  const broker = new CliProcess(['broker', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn']);
  t.after(() => {
    if (broker.child.exitCode === null) broker.kill('SIGKILL');
  });
  await broker.waitForStderr(/listening on 127\.0\.0\.1:\d+\n/);
  return { broker, bootstrap: `127.0.0.1:${/listening on 127\.0\.0\.1:(\d+)/.exec(broker.stderr)![1]}` };
}
